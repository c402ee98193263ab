CREATE TABLE "news_articles" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"title" text NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"body" text NOT NULL,
	"cover_url" text,
	"category" text DEFAULT 'company' NOT NULL,
	"status" text DEFAULT 'published' NOT NULL,
	"author_id" text NOT NULL,
	"published_at" timestamp with time zone,
	"read_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "news_reads" (
	"tenant_id" text NOT NULL,
	"article_id" text NOT NULL,
	"user_id" text NOT NULL,
	"read_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "news_reads_article_id_user_id_pk" PRIMARY KEY("article_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "notice_recipients" (
	"tenant_id" text NOT NULL,
	"notice_id" text NOT NULL,
	"target" text NOT NULL,
	"kind" text NOT NULL,
	"user_id" text,
	"chat_id" text,
	"department_id" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"error" text,
	"platform_message_id" text,
	"queued_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"read_at" timestamp with time zone,
	"read_via" text,
	"ack_at" timestamp with time zone,
	"reminder_step" integer DEFAULT 0 NOT NULL,
	"reminded_at" timestamp with time zone,
	"read_polled_at" timestamp with time zone,
	CONSTRAINT "notice_recipients_notice_id_target_pk" PRIMARY KEY("notice_id","target")
);
--> statement-breakpoint
CREATE TABLE "notices" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"images" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"category" text DEFAULT 'general' NOT NULL,
	"audience" jsonb NOT NULL,
	"require_ack" boolean DEFAULT false NOT NULL,
	"reminder" jsonb,
	"status" text DEFAULT 'draft' NOT NULL,
	"scheduled_at" timestamp with time zone,
	"published_at" timestamp with time zone,
	"retracted_at" timestamp with time zone,
	"publisher_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"recipient_count" integer DEFAULT 0 NOT NULL,
	"fanout_seq" integer DEFAULT 0 NOT NULL,
	"poll_seq" integer DEFAULT 0 NOT NULL,
	"summary_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "news_tenant_feed_idx" ON "news_articles" USING btree ("tenant_id","status","category","published_at");--> statement-breakpoint
CREATE INDEX "notice_recipients_inflight_idx" ON "notice_recipients" USING btree ("tenant_id","queued_at") WHERE status = 'queued';--> statement-breakpoint
CREATE INDEX "notice_recipients_sent_at_idx" ON "notice_recipients" USING btree ("tenant_id","sent_at") WHERE sent_at is not null;--> statement-breakpoint
CREATE INDEX "notices_tenant_status_idx" ON "notices" USING btree ("tenant_id","status","published_at");--> statement-breakpoint
CREATE INDEX "notices_tenant_publisher_idx" ON "notices" USING btree ("tenant_id","publisher_id");--> statement-breakpoint
CREATE INDEX "crm_customers_name_prefix_idx" ON "crm_customers" USING btree ("tenant_id","name_norm" text_pattern_ops);