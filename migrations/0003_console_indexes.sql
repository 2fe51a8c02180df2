CREATE INDEX "customers_phone" ON "customers" USING btree ("phone");--> statement-breakpoint
CREATE INDEX "customers_email" ON "customers" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "tickets_updated_at" ON "tickets" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "tickets_category_created" ON "tickets" USING btree ("category","created_at");--> statement-breakpoint
CREATE INDEX "tickets_channel_created" ON "tickets" USING btree ("channel","created_at");--> statement-breakpoint
CREATE INDEX "tickets_assignee_created" ON "tickets" USING btree ("assignee_id","created_at");--> statement-breakpoint
CREATE INDEX "tickets_major_created" ON "tickets" USING btree ("created_at") WHERE is_major;--> statement-breakpoint
CREATE INDEX "tickets_customer_created" ON "tickets" USING btree ("customer_id","created_at");