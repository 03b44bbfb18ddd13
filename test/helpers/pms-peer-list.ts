/**
 * Every PMS peer the matrix suite runs against, with the system peers each needs (a serial line
 * needs socat).
 */
import { peerSkip } from "../peers/available.ts";
import { MITEL_FEATURES, mitelPeer } from "./pms-peer-mitel.ts";
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
    { name: "mitel-tcp", features: MITEL_FEATURES, make: () => mitelPeer("tcp"), skip: false },
    { name: "mitel-serial", features: MITEL_FEATURES, make: () => mitelPeer("serial"), skip: peerSkip("socat") },
  ];
}
