CREATE TABLE "incidents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"title" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"centroid" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"samples" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"ticket_count" integer DEFAULT 0 NOT NULL,
	"card_refs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_ticket_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "duty" text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "triage" jsonb;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "merged_into_id" bigint;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "incident_id" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_code" ON "incidents" USING btree ("code");--> statement-breakpoint
CREATE INDEX "incidents_open" ON "incidents" USING btree ("last_ticket_at") WHERE status = 'open';--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tickets_merged_into" ON "tickets" USING btree ("merged_into_id") WHERE merged_into_id is not null;--> statement-breakpoint
CREATE INDEX "tickets_incident" ON "tickets" USING btree ("incident_id") WHERE incident_id is not null;