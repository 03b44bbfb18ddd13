CREATE TABLE `voicemail_boxes` (
	`room` text PRIMARY KEY NOT NULL,
	`pin_hash` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `voicemail_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`room` text NOT NULL,
	`state` text NOT NULL,
	`reservation` text DEFAULT '' NOT NULL,
	`received_at` integer NOT NULL,
	`duration_ms` integer DEFAULT 0 NOT NULL,
	`sound_ms` integer DEFAULT 0 NOT NULL,
	`caller` text DEFAULT '' NOT NULL,
	`codec` text DEFAULT 'PCMU' NOT NULL,
	`file` text NOT NULL,
	`archived_at` integer
);
--> statement-breakpoint
CREATE INDEX `voicemail_messages_room` ON `voicemail_messages` (`room`,`archived_at`);--> statement-breakpoint
CREATE INDEX `voicemail_messages_archived` ON `voicemail_messages` (`archived_at`);--> statement-breakpoint
ALTER TABLE `rooms` ADD `voice_new` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rooms` ADD `voice_saved` integer DEFAULT 0 NOT NULL;