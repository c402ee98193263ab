CREATE TABLE "sales_close_reasons" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_contracts" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"number" text NOT NULL,
	"name" text NOT NULL,
	"customer_id" text NOT NULL,
	"opportunity_id" text,
	"owner_id" text NOT NULL,
	"amount_cents" bigint NOT NULL,
	"discount_bp" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"approval_instance_id" text,
	"signed_date" date,
	"start_date" date,
	"end_date" date,
	"activated_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_customer_values" (
	"tenant_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"recency_days" integer,
	"frequency" integer DEFAULT 0 NOT NULL,
	"monetary_cents" bigint DEFAULT 0 NOT NULL,
	"engagement" integer DEFAULT 0 NOT NULL,
	"score" integer DEFAULT 0 NOT NULL,
	"tier" text NOT NULL,
	"factors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"override_tier" text,
	"override_reason" text,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sales_customer_values_tenant_id_customer_id_pk" PRIMARY KEY("tenant_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "sales_external_posts" (
	"tenant_id" text NOT NULL,
	"system_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"kind" text NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sales_external_posts_system_id_kind_idempotency_key_pk" PRIMARY KEY("system_id","kind","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "sales_instalments" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"contract_id" text NOT NULL,
	"seq" integer NOT NULL,
	"due_date" date NOT NULL,
	"amount_cents" bigint NOT NULL,
	"received_cents" bigint DEFAULT 0 NOT NULL,
	"overdue_notified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"contract_id" text NOT NULL,
	"amount_cents" bigint NOT NULL,
	"title" text NOT NULL,
	"tax_number" text,
	"status" text DEFAULT 'requested' NOT NULL,
	"invoice_number" text,
	"issued_on" date,
	"external_system_id" text,
	"external_id" text,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_line_items" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"parent_type" text NOT NULL,
	"parent_id" text NOT NULL,
	"product_id" text,
	"name" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_cents" bigint NOT NULL,
	"amount_cents" bigint NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_number_series" (
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"last_value" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "sales_number_series_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
);
--> statement-breakpoint
CREATE TABLE "sales_opportunities" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"customer_id" text NOT NULL,
	"stage_set_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"amount_cents" bigint DEFAULT 0 NOT NULL,
	"amount_source" text DEFAULT 'manual' NOT NULL,
	"expected_close_date" date,
	"owner_id" text NOT NULL,
	"team_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"competitors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"channel" text,
	"campaign" text,
	"lead_id" text,
	"close_reason_id" text,
	"close_note" text,
	"closed_at" timestamp with time zone,
	"stage_entered_at" timestamp with time zone NOT NULL,
	"last_activity_at" timestamp with time zone NOT NULL,
	"close_date_slips" integer DEFAULT 0 NOT NULL,
	"win_probability" integer DEFAULT 0 NOT NULL,
	"probability_factors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"stalled_notified_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_payment_allocations" (
	"tenant_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"instalment_id" text NOT NULL,
	"amount_cents" bigint NOT NULL,
	CONSTRAINT "sales_payment_allocations_payment_id_instalment_id_pk" PRIMARY KEY("payment_id","instalment_id")
);
--> statement-breakpoint
CREATE TABLE "sales_payments" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"contract_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"amount_cents" bigint NOT NULL,
	"received_on" date NOT NULL,
	"method" text NOT NULL,
	"note" text,
	"external_system_id" text,
	"external_id" text,
	"created_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_products" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"sku" text NOT NULL,
	"name" text NOT NULL,
	"unit" text DEFAULT '件' NOT NULL,
	"list_price_cents" bigint DEFAULT 0 NOT NULL,
	"category" text,
	"active" boolean DEFAULT true NOT NULL,
	"external_system_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_stage_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"opportunity_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"stage_name" text NOT NULL,
	"entered_at" timestamp with time zone NOT NULL,
	"left_at" timestamp with time zone,
	"amount_cents" bigint NOT NULL,
	"expected_close_date" date,
	"actor_id" text
);
--> statement-breakpoint
CREATE TABLE "sales_stage_sets" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"business_line" text,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_stages" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"stage_set_id" text NOT NULL,
	"name" text NOT NULL,
	"name_en" text,
	"probability" integer NOT NULL,
	"sort_order" integer NOT NULL,
	"kind" text DEFAULT 'open' NOT NULL,
	"forecast_category" text DEFAULT 'pipeline' NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sales_contracts" ADD CONSTRAINT "sales_contracts_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_customer_values" ADD CONSTRAINT "sales_customer_values_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_instalments" ADD CONSTRAINT "sales_instalments_contract_id_sales_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."sales_contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_invoices" ADD CONSTRAINT "sales_invoices_contract_id_sales_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."sales_contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_opportunities" ADD CONSTRAINT "sales_opportunities_customer_id_crm_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."crm_customers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_payment_allocations" ADD CONSTRAINT "sales_payment_allocations_payment_id_sales_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."sales_payments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_payment_allocations" ADD CONSTRAINT "sales_payment_allocations_instalment_id_sales_instalments_id_fk" FOREIGN KEY ("instalment_id") REFERENCES "public"."sales_instalments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_payments" ADD CONSTRAINT "sales_payments_contract_id_sales_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."sales_contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_stage_history" ADD CONSTRAINT "sales_stage_history_opportunity_id_sales_opportunities_id_fk" FOREIGN KEY ("opportunity_id") REFERENCES "public"."sales_opportunities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_stages" ADD CONSTRAINT "sales_stages_stage_set_id_sales_stage_sets_id_fk" FOREIGN KEY ("stage_set_id") REFERENCES "public"."sales_stage_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sales_close_reasons_uq" ON "sales_close_reasons" USING btree ("tenant_id","kind","name");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_contracts_number_uq" ON "sales_contracts" USING btree ("tenant_id","number");--> statement-breakpoint
CREATE INDEX "sales_contracts_owner_idx" ON "sales_contracts" USING btree ("tenant_id","owner_id","created_at");--> statement-breakpoint
CREATE INDEX "sales_contracts_customer_idx" ON "sales_contracts" USING btree ("tenant_id","customer_id");--> statement-breakpoint
CREATE INDEX "sales_contracts_opp_idx" ON "sales_contracts" USING btree ("tenant_id","opportunity_id");--> statement-breakpoint
CREATE INDEX "sales_customer_values_tier_idx" ON "sales_customer_values" USING btree ("tenant_id","tier");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_instalments_seq_uq" ON "sales_instalments" USING btree ("contract_id","seq");--> statement-breakpoint
CREATE INDEX "sales_instalments_contract_idx" ON "sales_instalments" USING btree ("tenant_id","contract_id");--> statement-breakpoint
CREATE INDEX "sales_instalments_due_idx" ON "sales_instalments" USING btree ("due_date") WHERE received_cents < amount_cents;--> statement-breakpoint
CREATE INDEX "sales_invoices_contract_idx" ON "sales_invoices" USING btree ("tenant_id","contract_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_invoices_external_uq" ON "sales_invoices" USING btree ("tenant_id","external_system_id","external_id") WHERE external_id is not null;--> statement-breakpoint
CREATE INDEX "sales_line_items_parent_idx" ON "sales_line_items" USING btree ("tenant_id","parent_type","parent_id");--> statement-breakpoint
CREATE INDEX "sales_opps_owner_idx" ON "sales_opportunities" USING btree ("tenant_id","owner_id","updated_at");--> statement-breakpoint
CREATE INDEX "sales_opps_customer_idx" ON "sales_opportunities" USING btree ("tenant_id","customer_id");--> statement-breakpoint
CREATE INDEX "sales_opps_close_idx" ON "sales_opportunities" USING btree ("tenant_id","status","expected_close_date");--> statement-breakpoint
CREATE INDEX "sales_allocations_instalment_idx" ON "sales_payment_allocations" USING btree ("tenant_id","instalment_id");--> statement-breakpoint
CREATE INDEX "sales_payments_contract_idx" ON "sales_payments" USING btree ("tenant_id","contract_id");--> statement-breakpoint
CREATE INDEX "sales_payments_customer_idx" ON "sales_payments" USING btree ("tenant_id","customer_id","received_on");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_payments_external_uq" ON "sales_payments" USING btree ("tenant_id","external_system_id","external_id") WHERE external_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "sales_products_sku_uq" ON "sales_products" USING btree ("tenant_id","sku");--> statement-breakpoint
CREATE INDEX "sales_products_name_idx" ON "sales_products" USING btree ("tenant_id","active","name");--> statement-breakpoint
CREATE INDEX "sales_stage_history_opp_idx" ON "sales_stage_history" USING btree ("tenant_id","opportunity_id","entered_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_stage_sets_name_uq" ON "sales_stage_sets" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_stage_sets_default_uq" ON "sales_stage_sets" USING btree ("tenant_id") WHERE is_default;--> statement-breakpoint
CREATE INDEX "sales_stages_set_idx" ON "sales_stages" USING btree ("tenant_id","stage_set_id","sort_order");