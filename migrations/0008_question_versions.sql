ALTER TABLE `quiz_sessions` ADD `choice_version` text;--> statement-breakpoint
ALTER TABLE `races` ADD `round_versions` text;