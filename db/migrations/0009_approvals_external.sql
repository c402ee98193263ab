CREATE TABLE "approval_external_nonces" (
	"system_id" text NOT NULL,
	"nonce" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approval_external_nonces_system_id_nonce_pk" PRIMARY KEY("system_id","nonce")
);
--> statement-breakpoint
CREATE TABLE "approval_external_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"system_id" text NOT NULL,
	"external_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"instance_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_external_systems" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"webhook_url" text NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_until" timestamp with time zone,
	"active" boolean DEFAULT true NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "approval_files" (
	"key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"uploader_id" text NOT NULL,
	"name" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"instance_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_references" (
	"tenant_id" text NOT NULL,
	"instance_id" text NOT NULL,
	"kind" text NOT NULL,
	"ref_id" text NOT NULL,
	"field" text NOT NULL,
	CONSTRAINT "approval_references_instance_id_kind_ref_id_field_pk" PRIMARY KEY("instance_id","kind","ref_id","field")
);
--> statement-breakpoint
CREATE TABLE "approval_webhook_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"delivery_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"system_id" text NOT NULL,
	"instance_id" text NOT NULL,
	"event" text NOT NULL,
	"body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"next_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approval_instances" ADD COLUMN "external" jsonb;--> statement-breakpoint
ALTER TABLE "approval_templates" ADD COLUMN "external_system_id" text;--> statement-breakpoint
CREATE INDEX "approval_external_nonces_at_idx" ON "approval_external_nonces" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "approval_external_requests_idem_uq" ON "approval_external_requests" USING btree ("system_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "approval_external_requests_ext_idx" ON "approval_external_requests" USING btree ("tenant_id","system_id","external_id","created_at");--> statement-breakpoint
CREATE INDEX "approval_external_requests_instance_idx" ON "approval_external_requests" USING btree ("tenant_id","instance_id");--> statement-breakpoint
CREATE UNIQUE INDEX "approval_external_systems_name_uq" ON "approval_external_systems" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE INDEX "approval_files_uploader_idx" ON "approval_files" USING btree ("tenant_id","uploader_id","created_at");--> statement-breakpoint
CREATE INDEX "approval_files_instance_idx" ON "approval_files" USING btree ("tenant_id","instance_id");--> statement-breakpoint
CREATE INDEX "approval_references_ref_idx" ON "approval_references" USING btree ("tenant_id","kind","ref_id");--> statement-breakpoint
CREATE UNIQUE INDEX "approval_webhook_attempts_uq" ON "approval_webhook_attempts" USING btree ("delivery_id","attempt");--> statement-breakpoint
CREATE INDEX "approval_webhook_deliveries_system_idx" ON "approval_webhook_deliveries" USING btree ("tenant_id","system_id","created_at");--> statement-breakpoint
CREATE INDEX "approval_webhook_deliveries_instance_idx" ON "approval_webhook_deliveries" USING btree ("tenant_id","instance_id");