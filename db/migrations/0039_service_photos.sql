CREATE TABLE "service_photos" (
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"ticket_id" text,
	"uploaded_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_photos_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
);
--> statement-breakpoint
ALTER TABLE "service_photos" ADD CONSTRAINT "service_photos_ticket_id_service_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."service_tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
INSERT INTO "service_photos" ("tenant_id", "key", "ticket_id", "uploaded_by", "created_at")
SELECT t."tenant_id", p.key, t."id", t."created_by_id", t."created_at"
FROM "service_tickets" t CROSS JOIN LATERAL jsonb_array_elements_text(t."photos") AS p(key)
ON CONFLICT DO NOTHING;
