ALTER TABLE "outbox" ADD COLUMN "effect_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_effect_key_idx" ON "outbox" USING btree ("effect_key") WHERE effect_key is not null;