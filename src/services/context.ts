/** @module services/context: what every service verb is given. */
import type { PostingsConfig } from "../config/postings-schema.ts";
import type { PhonesConfig, PmsConfig, RoomsConfig, SnomConfig, VoicemailConfig } from "../config/schema.ts";
import type { Capability } from "../domain/pbx-ops.ts";
import type { PmsAdapter, PostingAnswer } from "../domain/pms-events.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { NetworkSet } from "../lib/networks.ts";
import type { Store } from "../store/db.ts";

export interface PbxLinkInfo {
  name: string;
  /** The link's driver type (`zoom`, `snom`, …); absent in contexts that do not tell. */
  type?: string;
  capabilities: readonly Capability[];
}

export interface ServiceHooks {
  /** PBX jobs were committed; the runner should look. */
  pbxJobsQueued(): void;
  /** PMS outbox rows were committed; the sender should look. */
  pmsOutboxQueued(): void;
  /**
   * A wake-up was set or cancelled (API, guest phone, PMS WR/WC); the wake-up scheduler should read
   * the store now rather than at its next poll. May fire just before the change commits (PMS records
   * are applied inside the ingest transaction): the store serialises every use, so the read that
   * follows sees the committed rows.
   */
  wakeupsChanged(): void;
  /**
   * A stay's voicemail went to the archive. With `voicemail.archiveDays` 0 the purge should run now
   * (voicemail/purge.ts `kick`). Fires before the change commits, like `wakeupsChanged`: the purge's
   * own transaction waits for it. Optional: without it, archives wait for the daily purge.
   */
  voicemailArchived?(): void;
  /** Postings were committed or made pending again; the posting sender should look. */
  postingsQueued?(): void;
  /**
   * The PMS answered a posting (FIAS PA). Called while the answer is applied, before it commits
   * (like `wakeupsChanged`); the answer is already recorded on the posting in that transaction. The
   * posting sender stops waiting and sends the next one.
   */
  postingAnswered?(answer: PostingAnswer): void;
  /**
   * A call record was completed (committed, state done); call charging should decide about it
   * (services/call-charges.ts `chargeCompletedCall`). Optional: without it, the start-up sweep does.
   */
  callRecordCompleted?(id: number): void;
}

export interface ServiceContext {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** IANA zone of the hotel. */
  timezone: string;
  rooms: RoomsConfig;
  /**
   * How PMS record fields are read (the link settings are the link's), and the site's protocol
   * adapter, which renders outgoing actions; absent = FIAS with the default charset.
   */
  pms: Pick<PmsConfig, "splitGuestName"> & { adapter?: PmsAdapter<unknown> };
  /** Where guest phones live, and the SIP port/transport assumed when a phone reports only its IP. */
  phones: Omit<PhonesConfig, "networks"> & { networks: NetworkSet };
  /**
   * The enabled PBX links (the built-in `sip-mwi` link among them) and the capabilities their
   * drivers declare: each room change queues one job per link and op that link can handle.
   */
  pbxLinks: () => readonly PbxLinkInfo[];
  hooks: ServiceHooks;
  voicemail: VoicemailConfig;
  /** Absolute `<dataDir>/voicemail`: message files live under it (`msgs/<id>.wav`), named by their rows. */
  voicemailDir: string;
  /** The `snom` section (SNOM room phones: welcome page); absent = its defaults (no welcome). */
  snom?: SnomConfig;
  /** The `postings` section (call charges, minibar); absent = postings off. */
  postings?: PostingsConfig;
}
