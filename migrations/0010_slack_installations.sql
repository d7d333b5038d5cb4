CREATE TABLE `slack_installations` (
	`server_id` text PRIMARY KEY NOT NULL,
	`team_id` text,
	`enterprise_id` text,
	`org_install` integer NOT NULL,
	`team_name` text,
	`bot_user_id` text,
	`installed_by` text,
	`token_expires_at` integer,
	`sealed` text NOT NULL,
	`installed_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
