// prom-client types only its index; api/metrics.ts gives these files its types.
declare module "prom-client/lib/counter.js" {
  const Counter: unknown;
  export = Counter;
}
declare module "prom-client/lib/gauge.js" {
  const Gauge: unknown;
  export = Gauge;
}
declare module "prom-client/lib/registry.js" {
  const Registry: unknown;
  export = Registry;
}
