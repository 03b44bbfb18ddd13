CREATE TABLE `wakeup_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`wakeup_id` integer NOT NULL,
	`at` integer NOT NULL,
	`event` text NOT NULL,
	`attempt` integer,
	`detail` text,
	FOREIGN KEY (`wakeup_id`) REFERENCES `wakeups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `wakeup_events_wakeup` ON `wakeup_events` (`wakeup_id`,`id`);--> statement-breakpoint
ALTER TABLE `wakeups` ADD `weekdays` text;--> statement-breakpoint
ALTER TABLE `wakeups` ADD `until` text;--> statement-breakpoint
ALTER TABLE `wakeups` ADD `until_departure` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `wakeups` ADD `tries` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `wakeups` ADD `snoozes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `wakeups` ADD `next_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `wakeups` ADD `pending_result` text;--> statement-breakpoint
-- Rows from before: the next call is the due time, and every call so far counts toward retries.
UPDATE `wakeups` SET `next_attempt_at` = `due_at`, `tries` = `attempts`;
