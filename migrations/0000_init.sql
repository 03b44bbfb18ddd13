CREATE TABLE `audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`room` text,
	`before` text,
	`after` text
);
--> statement-breakpoint
CREATE INDEX `audit_room` ON `audit` (`room`);--> statement-breakpoint
CREATE INDEX `audit_at` ON `audit` (`at`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tokens_hash_unique` ON `tokens` (`hash`);--> statement-breakpoint
CREATE TABLE `pbx_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`link` text NOT NULL,
	`op` text NOT NULL,
	`room` text,
	`payload` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pbx_jobs_due` ON `pbx_jobs` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `pbx_jobs_link` ON `pbx_jobs` (`link`,`state`);--> statement-breakpoint
CREATE TABLE `pms_inbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`received_at` integer NOT NULL,
	`type` text NOT NULL,
	`raw` text NOT NULL,
	`applied_at` integer,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `pms_inbox_pending` ON `pms_inbox` (`applied_at`);--> statement-breakpoint
CREATE TABLE `pms_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`type` text NOT NULL,
	`record` text NOT NULL,
	`dedupe_key` text,
	`state` text DEFAULT 'pending' NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE INDEX `pms_outbox_state` ON `pms_outbox` (`state`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `pms_outbox_dedupe` ON `pms_outbox` (`dedupe_key`);--> statement-breakpoint
CREATE TABLE `rooms` (
	`number` text PRIMARY KEY NOT NULL,
	`extension` text NOT NULL,
	`phone_address` text,
	`phone_transport` text,
	`phone_mac` text,
	`predefined` integer DEFAULT false NOT NULL,
	`occupied` integer DEFAULT false NOT NULL,
	`dnd` integer DEFAULT false NOT NULL,
	`class_of_service` integer DEFAULT 0 NOT NULL,
	`message_lamp` integer DEFAULT 0 NOT NULL,
	`housekeeping_status` integer,
	`housekeeping_maid` text,
	`housekeeping_at` integer,
	`created_at` integer DEFAULT (unixepoch() * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch() * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rooms_extension` ON `rooms` (`extension`);--> statement-breakpoint
CREATE TABLE `stays` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`room` text NOT NULL,
	`reservation` text DEFAULT '' NOT NULL,
	`sharer` integer DEFAULT false NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`first_name` text DEFAULT '' NOT NULL,
	`last_name` text DEFAULT '' NOT NULL,
	`full_name` text DEFAULT '' NOT NULL,
	`language` text DEFAULT '' NOT NULL,
	`vip` text DEFAULT '' NOT NULL,
	`group_code` text DEFAULT '' NOT NULL,
	`arrival` text,
	`departure` text,
	`active` integer DEFAULT true NOT NULL,
	`checked_in_at` integer NOT NULL,
	`checked_out_at` integer,
	`resync_seen` integer
);
--> statement-breakpoint
CREATE INDEX `stays_room_active` ON `stays` (`room`,`active`);--> statement-breakpoint
CREATE INDEX `stays_reservation` ON `stays` (`reservation`);--> statement-breakpoint
CREATE TABLE `wakeups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`room` text NOT NULL,
	`due_at` integer NOT NULL,
	`fias_date` text NOT NULL,
	`fias_time` text NOT NULL,
	`recurrence` text DEFAULT 'once' NOT NULL,
	`source` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`result` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `wakeups_state_due` ON `wakeups` (`state`,`due_at`);--> statement-breakpoint
CREATE INDEX `wakeups_room` ON `wakeups` (`room`);