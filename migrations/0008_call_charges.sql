CREATE TABLE `call_charges` (
	`call_record_id` integer PRIMARY KEY NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`posting_id` integer,
	`decided_at` integer NOT NULL
);
