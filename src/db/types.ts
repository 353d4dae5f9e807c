// Row types of the tables created by the migrations (kept by hand, checked by the tests that use them).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Json = ColumnType<unknown, string | undefined, string>;
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;
type TextArray = ColumnType<string[], string[] | undefined, string[]>;

import type {
  CancelledBy,
  ContactType,
  OutboxLane,
  OutboxStatus,
  PaymentStatus,
  Recipient,
  SessionKind,
  SessionStatus,
  SlotState,
  TicketStatus,
  TicketType,
} from '../domain/vocabulary.ts';

export interface PsychologistsTable {
  id: Generated<string>;
  name: string;
  name_normalized: string;
  sex: 'male' | 'female';
  telegram_id: string | null;
  telegram_username: string | null;
  min_price: Generated<number>;
  max_price: Generated<number>;
  queries: TextArray;
  works_with: TextArray;
  description: string | null;
  experience_years: number | null;
  link_photo: string | null;
  link_video: string | null;
  is_active: Generated<boolean>;
  help_hand: Generated<boolean>;
  debt: Generated<number>;
  number_of_clients_provided: Generated<number>;
  zoom_account: string | null;
  /** The catalog's profile (GET /cards, migration 008). */
  group: Generated<string>;
  age: number | null;
  experience: string | null;
  verified: Generated<boolean>;
  main_modal: string | null;
  additional_modals: TextArray;
  vk: string | null;
  site: string | null;
  telegram: string | null;
  personal_therapy_duration: string | null;
  is_married: boolean | null;
  has_children: boolean | null;
  /** Offered by the diagnostic form (schedule-diagnosis-v2). */
  takes_diagnostic: Generated<boolean>;
  /** Education entries (GET /edu-keys-pipeline-batch): [{program_title, year, title, doc_type}]. */
  education: ColumnType<EducationEntry[], string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface EducationEntry {
  program_title: string;
  year: number;
  title: string;
  doc_type: string;
}

export interface ClientsTable {
  id: Generated<string>;
  lead_number: string;
  contact_key: string | null;
  name: string | null;
  age: number | null;
  phone: string | null;
  email: string | null;
  telegram_id: string | null;
  /** Proven by Telegram only (the account's own username); a typed @username stays on its ticket. */
  telegram_username: string | null;
  /** A phone the account shared with Telegram's "share my number" button (normalized). */
  proven_phone: Generated<string | null>;
  /**
   * Set on a submission's record once a proof moved its last ticket to the account's record: its lead
   * number (the one the form showed the person) then names that record.
   */
  merged_into: Generated<string | null>;
  contact_type: ContactType | null;
  contact_value: string | null;
  utm: NullableJson;
  lead_codes: TextArray;
  erased_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SlotsTable {
  id: Generated<string>;
  psychologist_id: string;
  start_at: ColumnType<Date, Date | string, Date | string>;
  duration_minutes: Generated<number>;
  price: number | null;
  state: Generated<SlotState>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface TicketsTable {
  ticket_id: string;
  form_ticket_id: string | null;
  client_id: string;
  type: TicketType;
  status: Generated<TicketStatus>;
  request_text: string | null;
  preferences: NullableJson;
  selected_slots: TextArray;
  matched_psychologists: TextArray;
  candidate_slot_ids: TextArray;
  psychologist_id: string | null;
  utm: NullableJson;
  raw_payload: NullableJson;
  promocode: string | null;
  price_session: string | null;
  bot_link: string | null;
  link_opened_at: Date | null;
  link_check_due_at: Date | null;
  link_checked_at: Date | null;
  parent_ticket_id: string | null;
  help_hand_stage: Generated<number>;
  help_hand_next_check_at: Date | null;
  help_hand_confirmed_at: Date | null;
  note: string | null;
  /** What the submission typed (name, age, contacts): shown to its ticket token and to operators. */
  typed_contact: NullableJson;
  /** The record its submission was filed under; a proof may later move the ticket to an account's. */
  origin_client_id: Generated<string | null>;
  /** How the ticket came to its record's Telegram account: `username`, `phone`, `service`, `account`. */
  linked_by: Generated<string | null>;
  /** SHA-256 (hex) of the current /help_hand_confirm link's ticket_id (migration 012); null before an allotment. */
  help_hand_link_hash: string | null;
  help_hand_allotted_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SessionsTable {
  id: Generated<string>;
  ticket_id: string;
  client_id: string;
  psychologist_id: string;
  slot_id: string;
  kind: Generated<SessionKind>;
  status: Generated<SessionStatus>;
  start_at: ColumnType<Date, Date | string, Date | string>;
  duration_minutes: Generated<number>;
  payment_amount: number | null;
  payment_status: PaymentStatus | null;
  meeting_link: string | null;
  meeting_platform: string | null;
  meeting_id: string | null;
  /** The Zoom user hosting the meeting, or reserved for it while the meeting is being made. */
  meeting_host: string | null;
  /** Someone is making this session's link until then (attach-meeting-link.ts). */
  link_claimed_until: Date | null;
  cancellation_reason: string | null;
  cancelled_by: CancelledBy | null;
  rating: number | null;
  feedback: string | null;
  rated_at: Date | null;
  remind_at: Date | null;
  reminded_at: Date | null;
  feedback_due_at: Date | null;
  feedback_asked_at: Date | null;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  completed_at: Date | null;
  missed_at: Date | null;
  rescheduled_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SessionRatingsTable {
  id: Generated<string>;
  session_id: string;
  rating: number;
  feedback: string | null;
  created_at: Generated<Date>;
}

export interface OutboxTable {
  id: Generated<number>;
  chat_id: string | null;
  recipient: Recipient;
  text: string;
  buttons: NullableJson;
  dedupe_key: string;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: Date | null;
  sent_at: Date | null;
  telegram_message_id: string | null;
  client_id: string | null;
  ticket_id: string | null;
  session_id: string | null;
  lane: Generated<OutboxLane>;
  leased_until: Date | null;
  digest_id: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ProcessedEventsTable {
  key: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  key: string;
  status_code: number | null;
  response: NullableJson;
  /** SHA-256 of the route's canonical body: a key replays only for the same body. */
  body_hash: string | null;
  expires_at: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface GenericRowTable {
  id: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface FormTrackingTable extends GenericRowTable {
  ticket_id: string;
  form_type: string;
  current_step: string;
  /** The psychologists the form's schedule request was offered, best first. */
  offered_psychologists: string[] | null;
}

export interface FormStepAnswersTable {
  form_ticket_id: string;
  field: string;
  value: Json;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WebFormSubmissionsTable {
  form_ticket_id: string;
  ticket_id: string | null;
  body_hash: string;
  answer: NullableJson;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface FormTrackingStepsTable {
  id: Generated<number>;
  tracking_id: string;
  step: string;
  at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ClientQuestionnairesTable extends GenericRowTable {
  client_id: string | null;
  psychologist_id: string | null;
  session_id: string | null;
  anketa: Json;
  payload: Json;
}

export interface ResearchResponsesTable {
  id: number;
  row_number: Generated<number>;
  payload: Json;
  name: string | null;
  contact: string | null;
  contact_type: string | null;
  age: string | null;
  form_psy_client_info: NullableJson;
  contacts_updated_at: Date | null;
  /** A keyed hash of the client address and User-Agent that posted the row. */
  requester: string | null;
  client_id: string | null;
  ticket_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AnalyticsSnapshotsTable {
  ticket_id: string;
  payload: Json;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface VerificationCodesTable {
  telegram_id: string;
  code_hash: string;
  expires_at: Date;
  attempts: Generated<number>;
  spent_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface VerificationFailuresTable {
  id: Generated<number>;
  telegram_id: string;
  /** A digest of who tried (the client address), so one requester's guesses never lock out another. */
  requester: string | null;
  at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** An account asked to open a ticket through the bot and has yet to prove the ticket's typed phone. */
export interface LinkRequestsTable {
  telegram_id: string;
  ticket_id: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AdminThreadsTable {
  id: Generated<number>;
  admin_message_id: string;
  client_id: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ClientFollowupsTable extends GenericRowTable {
  client_id: string;
  kind: 'after_5_days' | 'after_3_weeks';
  psychologist_id: string | null;
  due_at: Date;
  done_at: Date | null;
}

export interface JobRunsTable {
  name: string;
  last_started_at: Date | null;
  last_finished_at: Date | null;
  last_status: 'running' | 'ok' | 'failed' | null;
  last_result: NullableJson;
  last_error: string | null;
  runs: Generated<number>;
  failures: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A survey of /survey (migration 013): content and results as get-survey answers them. */
export interface SurveysTable {
  slug: string;
  title: string;
  description: Generated<string>;
  content: ColumnType<SurveyStep[], string, string>;
  results: ColumnType<SurveyResult[], string, string>;
  is_published: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SurveyStep {
  step_id: string;
  step_name: string;
  step_description: string;
  step_type: 'single' | 'multiple';
  step_items: { title: string; coins: number }[];
}

export interface SurveyResult {
  from: number;
  title: string;
  description: string;
}

export interface SurveyCompletionsTable {
  slug: string;
  day: ColumnType<string, string, string>;
  completions: Generated<number>;
}

export interface CalendarSecretsTable {
  psychologist_id: string;
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  secret_hash: string;
  issued_at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CalendarEventsTable {
  id: Generated<string>;
  title: string;
  event_type: string;
  event_modal_type: string;
  /** Sanitized HTML (src/domain/html.ts), written only through the sanitizer. */
  description: Generated<string>;
  organizator_type: string | null;
  organizator_name: string | null;
  organizator_link: string | null;
  max_participants: number;
  current_participants: Generated<number>;
  start_at: ColumnType<Date, Date, Date>;
  duration_minutes: Generated<number>;
  next_event: string | null;
  is_canceled: Generated<boolean>;
  is_published: Generated<boolean>;
  event_link: string | null;
  event_folder: string | null;
  repeat_period: string | null;
  last_planed_date: string | null;
  root_event: string | null;
  allow_connect: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface EventRegistrationsTable {
  event_id: string;
  psychologist_id: string;
  slot_id: string;
  slot_created: boolean;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface DB {
  hraniteli_psychologists: PsychologistsTable;
  hraniteli_clients: ClientsTable;
  hraniteli_slots: SlotsTable;
  hraniteli_tickets: TicketsTable;
  hraniteli_sessions: SessionsTable;
  session_ratings: SessionRatingsTable;
  outbox: OutboxTable;
  processed_events: ProcessedEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  form_tracking: FormTrackingTable;
  form_tracking_steps: FormTrackingStepsTable;
  form_step_answers: FormStepAnswersTable;
  web_form_submissions: WebFormSubmissionsTable;
  client_questionnaires: ClientQuestionnairesTable;
  research_responses: ResearchResponsesTable;
  analytics_snapshots: AnalyticsSnapshotsTable;
  verification_codes: VerificationCodesTable;
  verification_failures: VerificationFailuresTable;
  admin_threads: AdminThreadsTable;
  link_requests: LinkRequestsTable;
  client_followups: ClientFollowupsTable;
  job_runs: JobRunsTable;
  surveys: SurveysTable;
  survey_completions: SurveyCompletionsTable;
  calendar_secrets: CalendarSecretsTable;
  calendar_events: CalendarEventsTable;
  event_registrations: EventRegistrationsTable;
}

export type Psychologist = Selectable<PsychologistsTable>;
export type Client = Selectable<ClientsTable>;
export type Slot = Selectable<SlotsTable>;
export type Ticket = Selectable<TicketsTable>;
export type Session = Selectable<SessionsTable>;
export type NewTicket = Insertable<TicketsTable>;
export type PsychologistUpdate = Updateable<PsychologistsTable>;
export type CalendarEvent = Selectable<CalendarEventsTable>;
export type Survey = Selectable<SurveysTable>;
