export * from "./admin.ts";
export * from "./calls.ts";
export * from "./jobs.ts";
export * from "./messages.ts";
export * from "./pms.ts";
export * from "./rooms.ts";
export * from "./voicemail.ts";
export * from "./wakeups.ts";
