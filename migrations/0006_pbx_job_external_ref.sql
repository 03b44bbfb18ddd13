ALTER TABLE `pbx_jobs` ADD `external_ref` text;--> statement-breakpoint
ALTER TABLE `pbx_jobs` ADD `late_retry_ms` integer;--> statement-breakpoint
CREATE INDEX `pbx_jobs_external_ref` ON `pbx_jobs` (`link`,`external_ref`) WHERE "pbx_jobs"."external_ref" is not null;