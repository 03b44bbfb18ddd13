/**
 * Every PMS peer the matrix suite runs against, with the system peers each needs (a serial line
 * needs socat). Mitel joins when its simulator does.
 */
import { peerSkip } from "../peers/available.ts";
import { FIAS_FEATURES, fiasPeer, type PeerFeatures, type PeerName, type PmsPeer } from "./pms-peers.ts";

export type { PeerName, PmsPeer } from "./pms-peers.ts";

export interface PeerEntry {
  name: PeerName;
  features: PeerFeatures;
  make: () => PmsPeer;
  /** False, or why the peer cannot run here. */
  skip: string | false;
}

export function peerFactories(): PeerEntry[] {
  return [
    { name: "fias-tcp", features: FIAS_FEATURES, make: () => fiasPeer("tcp"), skip: false },
    { name: "fias-serial", features: FIAS_FEATURES, make: () => fiasPeer("serial"), skip: peerSkip("socat") },
  ];
}
