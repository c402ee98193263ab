CREATE TABLE "approval_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"serial_no" text NOT NULL,
	"template_id" text NOT NULL,
	"template_version_id" text NOT NULL,
	"template_version" integer NOT NULL,
	"title" text NOT NULL,
	"initiator_id" text NOT NULL,
	"initiator_department_id" text,
	"form" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"plan" jsonb NOT NULL,
	"step_index" integer DEFAULT 0 NOT NULL,
	"round" integer DEFAULT 1 NOT NULL,
	"chosen_approvers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"business_ref" text,
	"last_urged_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"instance_id" text NOT NULL,
	"step_index" integer NOT NULL,
	"node_id" text NOT NULL,
	"round" integer NOT NULL,
	"kind" text NOT NULL,
	"seq" integer DEFAULT 0 NOT NULL,
	"assignee_id" text NOT NULL,
	"status" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"origin" text DEFAULT 'flow' NOT NULL,
	"parent_task_id" text,
	"auto" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"comment" text,
	"activated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_template_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"template_id" text NOT NULL,
	"version" integer NOT NULL,
	"form" jsonb NOT NULL,
	"flow" jsonb NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_templates" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"name_en" text,
	"description" text,
	"aliases" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_timeline" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"instance_id" text NOT NULL,
	"task_id" text,
	"actor_id" text,
	"actor_kind" text NOT NULL,
	"action" text NOT NULL,
	"comment" text,
	"before" jsonb,
	"after" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "approval_instances_initiator_idx" ON "approval_instances" USING btree ("tenant_id","initiator_id","created_at");--> statement-breakpoint
CREATE INDEX "approval_instances_tenant_status_idx" ON "approval_instances" USING btree ("tenant_id","status","created_at");--> statement-breakpoint
CREATE INDEX "approval_instances_template_idx" ON "approval_instances" USING btree ("tenant_id","template_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "approval_instances_serial_uq" ON "approval_instances" USING btree ("tenant_id","serial_no");--> statement-breakpoint
CREATE INDEX "approval_tasks_instance_idx" ON "approval_tasks" USING btree ("instance_id","round","step_index");--> statement-breakpoint
CREATE INDEX "approval_tasks_assignee_idx" ON "approval_tasks" USING btree ("tenant_id","assignee_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "approval_template_versions_uq" ON "approval_template_versions" USING btree ("template_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "approval_templates_tenant_key_uq" ON "approval_templates" USING btree ("tenant_id","key");--> statement-breakpoint
CREATE INDEX "approval_timeline_instance_idx" ON "approval_timeline" USING btree ("tenant_id","instance_id","id");