CREATE TABLE "card_states" (
	"tenant_id" text NOT NULL,
	"ref" text NOT NULL,
	"version" integer NOT NULL,
	"card" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "card_states_tenant_id_ref_pk" PRIMARY KEY("tenant_id","ref")
);
