CREATE TABLE `call_charges` (
	`call_record_id` integer PRIMARY KEY NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`posting_id` integer,
	`decided_at` integer NOT NULL
);
--> statement-breakpoint
-- Calls completed before call charging existed are not charged now (they may be a previous guest's).
INSERT INTO `call_charges` (`call_record_id`, `outcome`, `reason`, `posting_id`, `decided_at`)
SELECT `id`, 'skipped', 'before-call-charging', NULL, CAST(unixepoch() * 1000 AS INTEGER) FROM `call_records` WHERE `state` = 'done';
