ALTER TABLE "customers" ADD COLUMN "is_sandbox" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "is_sandbox" boolean DEFAULT false NOT NULL;