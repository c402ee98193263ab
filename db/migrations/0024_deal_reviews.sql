CREATE TABLE "sales_deal_reviews" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"opportunity_id" text NOT NULL,
	"outcome" text NOT NULL,
	"what_worked" text DEFAULT '' NOT NULL,
	"lessons" text DEFAULT '' NOT NULL,
	"competitors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"industry" text,
	"product_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"amount_cents" bigint DEFAULT 0 NOT NULL,
	"author_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sales_deal_reviews" ADD CONSTRAINT "sales_deal_reviews_opportunity_id_sales_opportunities_id_fk" FOREIGN KEY ("opportunity_id") REFERENCES "public"."sales_opportunities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sales_deal_reviews_opp_uq" ON "sales_deal_reviews" USING btree ("tenant_id","opportunity_id");--> statement-breakpoint
CREATE INDEX "sales_deal_reviews_outcome_idx" ON "sales_deal_reviews" USING btree ("tenant_id","outcome","updated_at");--> statement-breakpoint
CREATE INDEX "sales_deal_reviews_facets_idx" ON "sales_deal_reviews" USING gin ("product_ids","competitors","tags");