CREATE TABLE `postings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`room` text NOT NULL,
	`reservation` text NOT NULL,
	`guest_name` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer,
	`pulses` integer,
	`duration_seconds` integer,
	`dialled` text,
	`call_type` text,
	`article` text,
	`quantity` integer,
	`text` text,
	`charged_at` integer NOT NULL,
	`source_type` text NOT NULL,
	`source_ref` text NOT NULL,
	`tariff` text,
	`state` text DEFAULT 'pending' NOT NULL,
	`sequence` integer,
	`record` text,
	`unanswered` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`retry_answers` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`answer_code` text,
	`answer_text` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`answered_at` integer,
	`updated_at` integer NOT NULL,
	`actor` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `postings_source` ON `postings` (`source_type`,`source_ref`);--> statement-breakpoint
CREATE INDEX `postings_state` ON `postings` (`state`,`id`);--> statement-breakpoint
CREATE INDEX `postings_room` ON `postings` (`room`,`id`);--> statement-breakpoint
CREATE INDEX `postings_sequence` ON `postings` (`sequence`);