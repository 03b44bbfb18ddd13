CREATE TABLE `call_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`link` text NOT NULL,
	`call_id` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`room` text,
	`extension` text,
	`direction` text,
	`number` text,
	`internal` integer DEFAULT false NOT NULL,
	`start_at` integer,
	`answer_at` integer,
	`talk_seconds` integer DEFAULT 0 NOT NULL,
	`outcome` integer,
	`trunk` text,
	`hint` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_records_call` ON `call_records` (`link`,`call_id`);--> statement-breakpoint
CREATE INDEX `call_records_due` ON `call_records` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `call_records_room` ON `call_records` (`room`,`start_at`);--> statement-breakpoint
CREATE INDEX `call_records_start` ON `call_records` (`state`,`start_at`);