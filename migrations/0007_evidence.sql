CREATE TABLE "evidence_seals" (
	"id" serial PRIMARY KEY NOT NULL,
	"day" text NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL,
	"last_event_id" bigint NOT NULL,
	"event_count" integer NOT NULL,
	"manifest" jsonb NOT NULL,
	"prev_root" text NOT NULL,
	"root" text NOT NULL,
	"mark" text,
	"posted_at" timestamp with time zone,
	CONSTRAINT "evidence_seals_day_unique" UNIQUE("day")
);
--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ticket_events" ADD COLUMN "v" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "evidence_salt" text DEFAULT replace(gen_random_uuid()::text, '-', '');