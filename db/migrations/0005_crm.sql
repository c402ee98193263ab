CREATE TYPE "public"."crm_custom_field_type" AS ENUM('text', 'number', 'date', 'boolean', 'select', 'multiselect');--> statement-breakpoint
CREATE TYPE "public"."crm_decision_role" AS ENUM('decision_maker', 'influencer', 'evaluator', 'user', 'gatekeeper', 'other');--> statement-breakpoint
CREATE TYPE "public"."crm_follow_up_kind" AS ENUM('call', 'visit', 'message', 'email', 'meeting');--> statement-breakpoint
CREATE TYPE "public"."crm_relation_kind" AS ENUM('supplier', 'distributor', 'parent', 'partner');--> statement-breakpoint
CREATE TYPE "public"."crm_visit_status" AS ENUM('planned', 'checked_in', 'checked_out', 'cancelled');--> statement-breakpoint
CREATE TABLE "crm_contacts" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"name" text NOT NULL,
	"title" text,
	"phone" text,
	"email" text,
	"wechat" text,
	"decision_role" "crm_decision_role" DEFAULT 'other' NOT NULL,
	"is_primary" boolean DEFAULT false NOT NULL,
	"notes" text,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_rules" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"reclaim_after_days" integer DEFAULT 30 NOT NULL,
	"warn_days_before" integer DEFAULT 3 NOT NULL,
	"extend_days" integer DEFAULT 7 NOT NULL,
	"reclaim_cooldown_days" integer DEFAULT 7 NOT NULL,
	"claim_limit" integer DEFAULT 50 NOT NULL,
	"check_in_flag_meters" integer DEFAULT 1000 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_custom_field_defs" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"label" text NOT NULL,
	"type" "crm_custom_field_type" NOT NULL,
	"options" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"required" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_customer_collaborators" (
	"tenant_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_customer_collaborators_customer_id_user_id_pk" PRIMARY KEY("customer_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "crm_customer_relations" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"from_customer_id" text NOT NULL,
	"to_customer_id" text NOT NULL,
	"kind" "crm_relation_kind" NOT NULL,
	"note" text,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_customers" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"short_name" text,
	"name_norm" text NOT NULL,
	"credit_code" text,
	"phone" text,
	"industry" text,
	"scale" text,
	"tier" text,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"province_code" text,
	"city_code" text,
	"district_code" text,
	"address" text,
	"lat" numeric(9, 6),
	"lng" numeric(9, 6),
	"source" text,
	"custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"owner_id" text,
	"owned_since" timestamp with time zone,
	"last_followed_up_at" timestamp with time zone,
	"reclaim_due_at" timestamp with time zone,
	"reclaim_warned_at" timestamp with time zone,
	"reclaim_extended_at" timestamp with time zone,
	"lost_by_id" text,
	"lost_at" timestamp with time zone,
	"search_text" text DEFAULT '' NOT NULL,
	"search_grams" text[] DEFAULT '{}'::text[] NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_field_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"field" text NOT NULL,
	"old_value" jsonb,
	"new_value" jsonb,
	"actor_id" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_follow_ups" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"contact_id" text,
	"author_id" text,
	"kind" "crm_follow_up_kind" NOT NULL,
	"content" text NOT NULL,
	"next_follow_up_at" timestamp with time zone,
	"reminder_sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_import_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"created_by_id" text,
	"entity" text NOT NULL,
	"format" text NOT NULL,
	"mode" text DEFAULT 'per_row' NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"file_name" text,
	"file" "bytea",
	"total_rows" integer DEFAULT 0 NOT NULL,
	"processed_rows" integer DEFAULT 0 NOT NULL,
	"ok_rows" integer DEFAULT 0 NOT NULL,
	"error_rows" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "crm_visits" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"user_id" text NOT NULL,
	"status" "crm_visit_status" DEFAULT 'planned' NOT NULL,
	"planned_at" timestamp with time zone,
	"purpose" text,
	"check_in_at" timestamp with time zone,
	"check_in_lat" numeric(9, 6),
	"check_in_lng" numeric(9, 6),
	"check_in_address" text,
	"check_in_distance_m" integer,
	"check_in_flagged" boolean DEFAULT false NOT NULL,
	"check_out_at" timestamp with time zone,
	"check_out_lat" numeric(9, 6),
	"check_out_lng" numeric(9, 6),
	"photos" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"summary" text,
	"client_key" text,
	"received_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crm_contacts" ADD CONSTRAINT "crm_contacts_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_customer_collaborators" ADD CONSTRAINT "crm_customer_collaborators_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_customer_relations" ADD CONSTRAINT "crm_customer_relations_from_customer_id_crm_customers_id_fk" FOREIGN KEY ("from_customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_customer_relations" ADD CONSTRAINT "crm_customer_relations_to_customer_id_crm_customers_id_fk" FOREIGN KEY ("to_customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_follow_ups" ADD CONSTRAINT "crm_follow_ups_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_visits" ADD CONSTRAINT "crm_visits_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crm_contacts_customer_idx" ON "crm_contacts" USING btree ("tenant_id","customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_custom_field_defs_uq" ON "crm_custom_field_defs" USING btree ("tenant_id","key");--> statement-breakpoint
CREATE INDEX "crm_collaborators_user_idx" ON "crm_customer_collaborators" USING btree ("tenant_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_relations_uq" ON "crm_customer_relations" USING btree ("tenant_id","from_customer_id","to_customer_id","kind");--> statement-breakpoint
CREATE INDEX "crm_relations_to_idx" ON "crm_customer_relations" USING btree ("tenant_id","to_customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_customers_tenant_name_uq" ON "crm_customers" USING btree ("tenant_id","name_norm");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_customers_tenant_credit_uq" ON "crm_customers" USING btree ("tenant_id","credit_code") WHERE credit_code is not null;--> statement-breakpoint
CREATE INDEX "crm_customers_tenant_phone_idx" ON "crm_customers" USING btree ("tenant_id","phone");--> statement-breakpoint
CREATE INDEX "crm_customers_tenant_owner_idx" ON "crm_customers" USING btree ("tenant_id","owner_id");--> statement-breakpoint
CREATE INDEX "crm_customers_reclaim_idx" ON "crm_customers" USING btree ("tenant_id","reclaim_due_at") WHERE owner_id is not null;--> statement-breakpoint
CREATE INDEX "crm_customers_grams_idx" ON "crm_customers" USING gin ("search_grams");--> statement-breakpoint
CREATE INDEX "crm_field_history_entity_idx" ON "crm_field_history" USING btree ("tenant_id","entity_type","entity_id","at");--> statement-breakpoint
CREATE INDEX "crm_follow_ups_customer_idx" ON "crm_follow_ups" USING btree ("tenant_id","customer_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_import_jobs_tenant_idx" ON "crm_import_jobs" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_visits_client_key_uq" ON "crm_visits" USING btree ("tenant_id","client_key");--> statement-breakpoint
CREATE INDEX "crm_visits_customer_idx" ON "crm_visits" USING btree ("tenant_id","customer_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_visits_user_idx" ON "crm_visits" USING btree ("tenant_id","user_id","created_at");