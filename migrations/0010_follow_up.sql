ALTER TABLE "tickets" ADD COLUMN "follow_up_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "follow_up_agent_id" bigint;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "follow_up_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_follow_up_agent_id_agents_id_fk" FOREIGN KEY ("follow_up_agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tickets_follow_up" ON "tickets" USING btree ("follow_up_since") WHERE follow_up_since is not null and status = 'resolved';