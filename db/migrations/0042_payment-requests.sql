CREATE TABLE "sales_payment_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"contract_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"amount_cents" bigint NOT NULL,
	"received_on" date NOT NULL,
	"method" text NOT NULL,
	"note" text,
	"allocations" jsonb,
	"state" text DEFAULT 'pending' NOT NULL,
	"approval_instance_id" text NOT NULL,
	"payment_id" text,
	"failure" text,
	"applicant_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "crm_rules" ADD COLUMN "payment_approval" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sales_payment_requests" ADD CONSTRAINT "sales_payment_requests_contract_id_sales_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."sales_contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sales_payment_requests_contract_idx" ON "sales_payment_requests" USING btree ("tenant_id","contract_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_payment_requests_instance_uq" ON "sales_payment_requests" USING btree ("tenant_id","approval_instance_id");--> statement-breakpoint
-- 回款审批 for every existing tenant (new tenants get it with the default templates): version 1 of the
-- default template, skipped where the tenant already has the key. Ids follow newId's shape (prefix_ + 24).
INSERT INTO "approval_templates" ("id", "tenant_id", "key", "name", "name_en", "description", "aliases", "current_version")
SELECT 'apt_' || substr(md5(random()::text || t."id"), 1, 24), t."id", 'sales_payment', '回款审批', 'Payment received', '回款审批：销售登记的回款经财务确认后入账', '["回款","回款审批","receipt"]'::jsonb, 1
FROM "tenants" t
ON CONFLICT ("tenant_id", "key") DO NOTHING;--> statement-breakpoint
INSERT INTO "approval_template_versions" ("id", "tenant_id", "template_id", "version", "form", "flow", "settings")
SELECT 'apv_' || substr(md5(random()::text || a."id"), 1, 24), a."tenant_id", a."id", 1, '[{"key":"contract","label":"合同","labelEn":"Contract","type":"contract","required":true},{"key":"title","label":"摘要","labelEn":"Summary","type":"text"},{"key":"customer","label":"客户","labelEn":"Customer","type":"customer"},{"key":"amount","label":"回款金额","labelEn":"Amount","type":"money","required":true},{"key":"receivedOn","label":"到账日期","labelEn":"Received on","type":"date","required":true},{"key":"method","label":"回款方式","labelEn":"Method","type":"text","required":true},{"key":"instalments","label":"对应期数","labelEn":"Instalments","type":"text"},{"key":"notes","label":"说明","labelEn":"Notes","type":"textarea"}]'::jsonb, '{"nodes":[{"id":"start","type":"start","next":"finance"},{"id":"finance","type":"approval","name":"财务审批","nameEn":"Finance","approvers":{"kind":"role","roleKey":"finance"},"mode":"any","emptyPolicy":"admin","next":"end"},{"id":"end","type":"end"}]}'::jsonb, '{"dedupe":"consecutive","initiatorAutoPass":false,"escalateAction":"to_manager","businessRefField":"contract","titleField":"title"}'::jsonb
FROM "approval_templates" a
WHERE a."key" = 'sales_payment'
  AND NOT EXISTS (SELECT 1 FROM "approval_template_versions" v WHERE v."template_id" = a."id");
