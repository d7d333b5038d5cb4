CREATE TABLE `srs_fits` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`parameters` text NOT NULL,
	`reviews` integer NOT NULL,
	`log_loss_before` real NOT NULL,
	`rmse_before` real NOT NULL,
	`log_loss_after` real NOT NULL,
	`rmse_after` real NOT NULL,
	`kept` integer NOT NULL,
	`reason` text,
	`fitted_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `srs_fits_scope` ON `srs_fits` (`scope`,`key`,`fitted_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `desired_retention` real;