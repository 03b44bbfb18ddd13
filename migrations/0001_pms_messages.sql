CREATE TABLE `pms_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`room` text NOT NULL,
	`reservation` text DEFAULT '' NOT NULL,
	`message_id` text NOT NULL,
	`text` text DEFAULT '' NOT NULL,
	`received_at` integer NOT NULL,
	`retrieved_at` integer
);
--> statement-breakpoint
CREATE INDEX `pms_messages_room` ON `pms_messages` (`room`,`retrieved_at`);