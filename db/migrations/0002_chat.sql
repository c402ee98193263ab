CREATE TABLE "chats" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"platform" "platform" NOT NULL,
	"platform_chat_id" text NOT NULL,
	"name" text NOT NULL,
	"member_user_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"bound_customer_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"platform" "platform" NOT NULL,
	"direction" text NOT NULL,
	"platform_message_id" text,
	"chat_id" text,
	"user_id" text,
	"kind" text NOT NULL,
	"text" text,
	"card" jsonb,
	"ref" text,
	"card_version" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'sent' NOT NULL,
	"error" text,
	"idempotency_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "chats_platform_uq" ON "chats" USING btree ("tenant_id","platform","platform_chat_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_idem_uq" ON "messages" USING btree ("tenant_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "messages_ref_idx" ON "messages" USING btree ("tenant_id","ref");--> statement-breakpoint
CREATE INDEX "messages_chat_idx" ON "messages" USING btree ("tenant_id","chat_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_user_idx" ON "messages" USING btree ("tenant_id","user_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_platform_id_idx" ON "messages" USING btree ("platform_message_id");