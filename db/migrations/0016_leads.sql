CREATE TYPE "public"."crm_lead_intake_preset" AS ENUM('generic', 'oceanengine', 'tencent_ads');--> statement-breakpoint
CREATE TYPE "public"."crm_lead_priority" AS ENUM('low', 'normal', 'high');--> statement-breakpoint
CREATE TYPE "public"."crm_lead_sla_state" AS ENUM('none', 'pending', 'met', 'breached');--> statement-breakpoint
CREATE TYPE "public"."crm_lead_status" AS ENUM('new', 'contacted', 'qualified', 'converted', 'invalid');--> statement-breakpoint
CREATE TABLE "crm_customer_attributions" (
	"tenant_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"lead_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"campaign_id" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_customer_attributions_customer_id_lead_id_pk" PRIMARY KEY("customer_id","lead_id")
);
--> statement-breakpoint
CREATE TABLE "crm_lead_assignment_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"match" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"method" text DEFAULT 'round_robin' NOT NULL,
	"members" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"working_hours" jsonb,
	"cursor" integer DEFAULT -1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_lead_campaign_costs" (
	"tenant_id" text NOT NULL,
	"campaign_id" text NOT NULL,
	"month" date NOT NULL,
	"amount_cents" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_lead_campaign_costs_campaign_id_month_pk" PRIMARY KEY("campaign_id","month")
);
--> statement-breakpoint
CREATE TABLE "crm_lead_campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"name" text NOT NULL,
	"starts_on" date,
	"ends_on" date,
	"budget_cents" bigint DEFAULT 0 NOT NULL,
	"utm_source" text,
	"utm_medium" text,
	"utm_campaign" text,
	"utm_content" text,
	"utm_term" text,
	"external_id" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_lead_channels" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"code" text,
	"name" text NOT NULL,
	"sort" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"intake_key" text NOT NULL,
	"secret" text,
	"previous_secret" text,
	"previous_secret_until" timestamp with time zone,
	"preset" "crm_lead_intake_preset" DEFAULT 'generic' NOT NULL,
	"field_mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"form_key" text,
	"sla_minutes" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_lead_daily" (
	"tenant_id" text NOT NULL,
	"day" date NOT NULL,
	"channel_id" text NOT NULL,
	"campaign_id" text DEFAULT '' NOT NULL,
	"owner_id" text DEFAULT '' NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"contacted" integer DEFAULT 0 NOT NULL,
	"qualified" integer DEFAULT 0 NOT NULL,
	"converted" integer DEFAULT 0 NOT NULL,
	"invalid" integer DEFAULT 0 NOT NULL,
	"sla_breached" integer DEFAULT 0 NOT NULL,
	"spam" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_daily_tenant_id_day_channel_id_campaign_id_owner_id_pk" PRIMARY KEY("tenant_id","day","channel_id","campaign_id","owner_id")
);
--> statement-breakpoint
CREATE TABLE "crm_lead_follow_ups" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"lead_id" text NOT NULL,
	"author_id" text,
	"kind" "crm_follow_up_kind" NOT NULL,
	"content" text NOT NULL,
	"next_follow_up_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_lead_form_hits" (
	"form_key" text NOT NULL,
	"ip" text NOT NULL,
	"bucket" bigint NOT NULL,
	"hits" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_form_hits_form_key_ip_bucket_pk" PRIMARY KEY("form_key","ip","bucket")
);
--> statement-breakpoint
CREATE TABLE "crm_lead_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"invalid_reasons" jsonb NOT NULL,
	"sla_minutes" jsonb NOT NULL,
	"recycle_after_days" integer DEFAULT 7 NOT NULL,
	"form_rate_limit" integer DEFAULT 5 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_lead_touches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"lead_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"campaign_id" text,
	"kind" text NOT NULL,
	"via" text NOT NULL,
	"source_lead_id" text,
	"utm" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"payload" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_leads" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"company" text,
	"company_norm" text,
	"phone_raw" text,
	"phone" text,
	"phone_valid" boolean DEFAULT false NOT NULL,
	"email_raw" text,
	"email" text,
	"email_valid" boolean DEFAULT false NOT NULL,
	"region" text,
	"product_interest" text,
	"message" text,
	"priority" "crm_lead_priority" DEFAULT 'normal' NOT NULL,
	"status" "crm_lead_status" DEFAULT 'new' NOT NULL,
	"invalid_reason" text,
	"owner_id" text,
	"assigned_at" timestamp with time zone,
	"assigned_by" text,
	"assignment_rule_id" text,
	"accepted_at" timestamp with time zone,
	"first_contacted_at" timestamp with time zone,
	"last_activity_at" timestamp with time zone,
	"sla_state" "crm_lead_sla_state" DEFAULT 'none' NOT NULL,
	"sla_due_at" timestamp with time zone,
	"assignment_seq" integer DEFAULT 0 NOT NULL,
	"channel_id" text NOT NULL,
	"campaign_id" text,
	"utm" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"consent" boolean DEFAULT false NOT NULL,
	"matched_customer_id" text,
	"customer_id" text,
	"contact_id" text,
	"converted_at" timestamp with time zone,
	"merged_into_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crm_customer_attributions" ADD CONSTRAINT "crm_customer_attributions_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_customer_attributions" ADD CONSTRAINT "crm_customer_attributions_lead_id_crm_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."crm_leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_lead_campaign_costs" ADD CONSTRAINT "crm_lead_campaign_costs_campaign_id_crm_lead_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."crm_lead_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_lead_campaigns" ADD CONSTRAINT "crm_lead_campaigns_channel_id_crm_lead_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."crm_lead_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_lead_follow_ups" ADD CONSTRAINT "crm_lead_follow_ups_lead_id_crm_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."crm_leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_lead_touches" ADD CONSTRAINT "crm_lead_touches_lead_id_crm_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."crm_leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_leads" ADD CONSTRAINT "crm_leads_channel_id_crm_lead_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."crm_lead_channels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_leads" ADD CONSTRAINT "crm_leads_campaign_id_crm_lead_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."crm_lead_campaigns"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_leads" ADD CONSTRAINT "crm_leads_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crm_customer_attr_channel_idx" ON "crm_customer_attributions" USING btree ("tenant_id","channel_id");--> statement-breakpoint
CREATE INDEX "crm_lead_rules_tenant_idx" ON "crm_lead_assignment_rules" USING btree ("tenant_id","position");--> statement-breakpoint
CREATE INDEX "crm_lead_campaign_costs_idx" ON "crm_lead_campaign_costs" USING btree ("tenant_id","month");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_lead_campaigns_name_uq" ON "crm_lead_campaigns" USING btree ("tenant_id","channel_id","name");--> statement-breakpoint
CREATE INDEX "crm_lead_campaigns_utm_idx" ON "crm_lead_campaigns" USING btree ("tenant_id","utm_campaign");--> statement-breakpoint
CREATE INDEX "crm_lead_campaigns_ext_idx" ON "crm_lead_campaigns" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_lead_channels_code_uq" ON "crm_lead_channels" USING btree ("tenant_id","code");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_lead_channels_name_uq" ON "crm_lead_channels" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_lead_channels_intake_uq" ON "crm_lead_channels" USING btree ("intake_key");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_lead_channels_form_uq" ON "crm_lead_channels" USING btree ("form_key");--> statement-breakpoint
CREATE INDEX "crm_lead_follow_ups_lead_idx" ON "crm_lead_follow_ups" USING btree ("tenant_id","lead_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_lead_touches_lead_idx" ON "crm_lead_touches" USING btree ("tenant_id","lead_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_lead_touches_source_uq" ON "crm_lead_touches" USING btree ("tenant_id","channel_id","source_lead_id") WHERE source_lead_id is not null;--> statement-breakpoint
CREATE INDEX "crm_leads_phone_idx" ON "crm_leads" USING btree ("tenant_id","phone");--> statement-breakpoint
CREATE INDEX "crm_leads_email_idx" ON "crm_leads" USING btree ("tenant_id","email");--> statement-breakpoint
CREATE INDEX "crm_leads_company_idx" ON "crm_leads" USING btree ("tenant_id","company_norm");--> statement-breakpoint
CREATE INDEX "crm_leads_owner_idx" ON "crm_leads" USING btree ("tenant_id","owner_id","status");--> statement-breakpoint
CREATE INDEX "crm_leads_assigned_idx" ON "crm_leads" USING btree ("tenant_id","owner_id","assigned_at");--> statement-breakpoint
CREATE INDEX "crm_leads_created_idx" ON "crm_leads" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_leads_channel_idx" ON "crm_leads" USING btree ("tenant_id","channel_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_leads_sla_idx" ON "crm_leads" USING btree ("tenant_id","sla_due_at") WHERE sla_state = 'pending';