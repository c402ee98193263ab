CREATE TYPE "public"."service_ticket_channel" AS ENUM('chat', 'phone', 'miniapp', 'form', 'qr', 'api');--> statement-breakpoint
CREATE TYPE "public"."service_ticket_priority" AS ENUM('low', 'normal', 'high', 'urgent');--> statement-breakpoint
CREATE TYPE "public"."service_sla_state" AS ENUM('none', 'pending', 'met', 'breached');--> statement-breakpoint
CREATE TYPE "public"."service_ticket_status" AS ENUM('new', 'assigned', 'in_progress', 'waiting_customer', 'resolved', 'closed', 'rejected', 'duplicate');--> statement-breakpoint
CREATE TABLE "service_dispatch_rules" (
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
CREATE TABLE "service_intake_codes" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"code" text NOT NULL,
	"customer_id" text,
	"product_id" text,
	"device_label" text,
	"label" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"types" jsonb NOT NULL,
	"sla" jsonb NOT NULL,
	"working_hours" jsonb,
	"low_rating" integer DEFAULT 2 NOT NULL,
	"form_rate_limit" integer DEFAULT 5 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_ticket_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"ticket_id" text NOT NULL,
	"kind" text NOT NULL,
	"actor_id" text,
	"body" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"internal" boolean DEFAULT false NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"number" text NOT NULL,
	"customer_id" text,
	"contact_id" text,
	"reporter_name" text,
	"reporter_phone" text,
	"contract_id" text,
	"product_id" text,
	"device_label" text,
	"channel" "service_ticket_channel" NOT NULL,
	"type" text NOT NULL,
	"priority" "service_ticket_priority" DEFAULT 'normal' NOT NULL,
	"subject" text NOT NULL,
	"description" text,
	"photos" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" "service_ticket_status" DEFAULT 'new' NOT NULL,
	"owner_id" text,
	"department_id" text,
	"assigned_at" timestamp with time zone,
	"assignment_seq" integer DEFAULT 0 NOT NULL,
	"requester_id" text,
	"first_response_due_at" timestamp with time zone,
	"first_responded_at" timestamp with time zone,
	"response_sla" "service_sla_state" DEFAULT 'pending' NOT NULL,
	"resolution_due_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"resolution_sla" "service_sla_state" DEFAULT 'pending' NOT NULL,
	"resolution_note" text,
	"closed_at" timestamp with time zone,
	"duplicate_of_id" text,
	"status_token" text NOT NULL,
	"rating" smallint,
	"rating_comment" text,
	"rated_at" timestamp with time zone,
	"reopen_count" integer DEFAULT 0 NOT NULL,
	"external_system" text,
	"external_id" text,
	"visit_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "service_intake_codes" ADD CONSTRAINT "service_intake_codes_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_ticket_events" ADD CONSTRAINT "service_ticket_events_ticket_id_service_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."service_tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_tickets" ADD CONSTRAINT "service_tickets_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "service_dispatch_rules_tenant_idx" ON "service_dispatch_rules" USING btree ("tenant_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "service_intake_codes_code_uq" ON "service_intake_codes" USING btree ("code");--> statement-breakpoint
CREATE INDEX "service_intake_codes_tenant_idx" ON "service_intake_codes" USING btree ("tenant_id","customer_id");--> statement-breakpoint
CREATE INDEX "service_ticket_events_ticket_idx" ON "service_ticket_events" USING btree ("tenant_id","ticket_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "service_tickets_number_uq" ON "service_tickets" USING btree ("tenant_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "service_tickets_token_uq" ON "service_tickets" USING btree ("status_token");--> statement-breakpoint
CREATE UNIQUE INDEX "service_tickets_external_uq" ON "service_tickets" USING btree ("tenant_id","external_system","external_id") WHERE external_id is not null;--> statement-breakpoint
CREATE INDEX "service_tickets_list_idx" ON "service_tickets" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "service_tickets_owner_idx" ON "service_tickets" USING btree ("tenant_id","owner_id","status","created_at");--> statement-breakpoint
CREATE INDEX "service_tickets_status_idx" ON "service_tickets" USING btree ("tenant_id","status","created_at");--> statement-breakpoint
CREATE INDEX "service_tickets_customer_idx" ON "service_tickets" USING btree ("tenant_id","customer_id","created_at");--> statement-breakpoint
CREATE INDEX "service_tickets_response_sla_idx" ON "service_tickets" USING btree ("first_response_due_at") WHERE response_sla = 'pending';--> statement-breakpoint
CREATE INDEX "service_tickets_resolution_sla_idx" ON "service_tickets" USING btree ("resolution_due_at") WHERE resolution_sla = 'pending';