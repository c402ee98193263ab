-- 合同审批 that leads back to its contract, for tenants made before it was the default (every tenant made at
-- first contact got the generic 合同审批 under the key `contract`: no contract field, no business reference,
-- so a contract sent to it stayed 审批中 forever).
--
-- 1. A `contract` template nobody customised — every version of it written by flowcard (created_by null: the
--    default install; an admin's create or publish always names the admin), not an external system's, and
--    without a business reference — gets the default 合同审批 of bot/domain/contracts/approval-template.ts as
--    a new published version, audited (running requests keep the version they started with).
--    A template an admin published is left as it is: submitting a contract then uses its 「合同」 field if it
--    has one, and otherwise refuses with a message telling the admin to add one (submit-contract.ts).
-- Ids follow newId's shape (prefix_ + 24).
WITH "generic" AS (
  SELECT a."id"
  FROM "approval_templates" a
  JOIN "approval_template_versions" v ON v."template_id" = a."id" AND v."version" = a."current_version"
  WHERE a."key" = 'contract'
    AND a."external_system_id" IS NULL
    AND v."settings" ->> 'businessRefField' IS NULL
    AND NOT EXISTS (
      SELECT 1 FROM "approval_template_versions" w WHERE w."template_id" = a."id" AND w."created_by" IS NOT NULL
    )
), "bumped" AS (
  UPDATE "approval_templates" a
  SET "current_version" = a."current_version" + 1,
      "name" = '合同审批',
      "name_en" = 'Contract',
      "description" = '销售合同审批：直属上级审批；金额 ≥ 50 万或折扣 ≥ 15% 时再由上级部门负责人审批',
      "aliases" = '["合同","合同审批","contract"]'::jsonb,
      "updated_at" = now()
  FROM "generic" g
  WHERE a."id" = g."id"
  RETURNING a."id", a."tenant_id", a."current_version"
), "versioned" AS (
  INSERT INTO "approval_template_versions" ("id", "tenant_id", "template_id", "version", "form", "flow", "settings")
  SELECT 'apv_' || substr(md5(random()::text || b."id"), 1, 24), b."tenant_id", b."id", b."current_version",
  '[{"key":"contract","label":"合同","labelEn":"Contract","type":"contract","required":true},{"key":"title","label":"合同名称","labelEn":"Title","type":"text"},{"key":"customer","label":"客户","labelEn":"Customer","type":"customer"},{"key":"amount","label":"合同金额","labelEn":"Amount","type":"money","required":true},{"key":"discount","label":"折扣 (%)","labelEn":"Discount (%)","type":"number"},{"key":"notes","label":"说明","labelEn":"Notes","type":"textarea"}]'::jsonb,
  '{"nodes":[{"id":"start","type":"start","next":"manager"},{"id":"manager","type":"approval","name":"直属上级","nameEn":"Manager","approvers":{"kind":"manager","level":1},"mode":"any","emptyPolicy":"admin","next":"size"},{"id":"size","type":"condition","name":"金额与折扣","branches":[{"name":"金额 ≥ 50 万","when":[{"kind":"form","field":"amount","op":"gte","value":50000000}],"next":"head"},{"name":"折扣 ≥ 15%","when":[{"kind":"form","field":"discount","op":"gte","value":15}],"next":"head"}],"defaultNext":"end"},{"id":"head","type":"approval","name":"上级部门负责人","nameEn":"Head of the parent department","approvers":{"kind":"department_head","level":1},"mode":"any","emptyPolicy":"admin","next":"end"},{"id":"end","type":"end"}]}'::jsonb,
  '{"dedupe":"consecutive","initiatorAutoPass":true,"escalateAction":"to_manager","businessRefField":"contract","titleField":"title"}'::jsonb
  FROM "bumped" b
  RETURNING "tenant_id", "template_id", "version"
)
INSERT INTO "audit_log" ("tenant_id", "actor_kind", "action", "target_type", "target_id", "after", "meta")
SELECT v."tenant_id", 'system', 'approval.template.update', 'approval_template', v."template_id",
  jsonb_build_object('version', v."version"),
  jsonb_build_object('reason', 'migration 0043: the default 合同审批 references its contract')
FROM "versioned" v;--> statement-breakpoint
-- 2. Contracts already sent to such a request: the request (still running, returned, or finished) is given its
--    contract, so it decides the contract as it should have.
WITH "mended" AS (
  UPDATE "approval_instances" i
  SET "business_ref" = 'contract:' || c."id"
  FROM "sales_contracts" c
  WHERE c."tenant_id" = i."tenant_id"
    AND c."approval_instance_id" = i."id"
    AND c."status" = 'in_approval'
    AND i."business_ref" IS NULL
  RETURNING i."tenant_id", i."id", i."business_ref"
)
INSERT INTO "audit_log" ("tenant_id", "actor_kind", "action", "target_type", "target_id", "after", "meta")
SELECT m."tenant_id", 'system', 'approval.reference', 'approval', m."id",
  jsonb_build_object('businessRef', m."business_ref"),
  jsonb_build_object('reason', 'migration 0043: a contract sent to the generic 合同审批')
FROM "mended" m;--> statement-breakpoint
-- 3. Those whose request already ended (its finished event went by with no contract to apply it to): the
--    event once more, now with the contract, so the contracts' hook applies the outcome as for any request
--    (active and announced to the ERP, or back to draft). The hook ignores a contract no longer waiting on it.
INSERT INTO "outbox" ("tenant_id", "topic", "payload")
SELECT i."tenant_id", 'approval.finished', jsonb_build_object(
  'tenantId', i."tenant_id", 'instanceId', i."id", 'templateKey', t."key", 'status', i."status",
  'businessRef', i."business_ref")
FROM "sales_contracts" c
JOIN "approval_instances" i ON i."tenant_id" = c."tenant_id" AND i."id" = c."approval_instance_id"
JOIN "approval_templates" t ON t."id" = i."template_id"
WHERE c."status" = 'in_approval'
  AND i."business_ref" = 'contract:' || c."id"
  AND i."status" IN ('approved', 'rejected', 'withdrawn', 'cancelled');
