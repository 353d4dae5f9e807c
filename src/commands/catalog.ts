// The public psychologist catalog the web front end reads (spec/web-form.md A, B.3, B.6): the cards of
// active psychologists and their education entries. Nothing about clients; kept in the listing cache,
// which every change to psychologists invalidates.
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { Actor } from '../domain/access.ts';
import { educationKey } from '../domain/web-form.ts';
import { catalogRepository } from '../repositories/catalog.repository.ts';
import { MAX_PAGE, MAX_SLOTS } from '../domain/limits.ts';

export interface CatalogCard {
  id: string;
  name: string;
  group: string;
  link_photo: string | null;
  link_video: string | null;
  age: number | null;
  sex: 'Мужчина' | 'Женщина';
  experience: string | null;
  verified: boolean;
  main_modal: string | null;
  additional_modals: string[];
  min_session_price: number;
  max_session_price: number;
  short_description: string | null;
  queries: string;
  works_with: string;
  vk: string | null;
  site: string | null;
  telegram: string | null;
  personal_therapy_duration: string | null;
  is_married: boolean | null;
  has_children: boolean | null;
  is_video: boolean;
}

export interface EducationItem {
  psychologist: string;
  program_title: string;
  year: number;
  title: string;
  doc_type: string;
}

/** A JSON answer with its entity tag. */
export interface CachedJson {
  json: string;
  etag: string;
}

const tagged = (value: unknown): CachedJson => {
  const json = JSON.stringify(value);
  return { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"` };
};

/** GET /cards: the public profiles of the first MAX_PAGE active psychologists, by name. */
export async function catalogCards(deps: Deps, _actor: Actor): Promise<CachedJson> {
  return deps.listings.value('catalog:cards', async () => {
    const rows = await catalogRepository.cards(deps.db, MAX_PAGE);
    const cards: CatalogCard[] = rows.map((p) => ({
      id: p.id,
      name: p.name,
      group: p.group,
      link_photo: p.link_photo,
      link_video: p.link_video,
      age: p.age,
      sex: p.sex === 'male' ? 'Мужчина' : 'Женщина',
      experience: p.experience,
      verified: p.verified,
      main_modal: p.main_modal,
      additional_modals: p.additional_modals,
      min_session_price: p.min_price,
      max_session_price: p.max_price,
      short_description: p.description,
      queries: p.queries.join('; '),
      works_with: p.works_with.join('; '),
      vk: p.vk,
      site: p.site,
      telegram: p.telegram,
      personal_therapy_duration: p.personal_therapy_duration,
      is_married: p.is_married,
      has_children: p.has_children,
      is_video: Boolean(p.link_video),
    }));
    return tagged(cards);
  });
}

/**
 * GET /edu-keys-pipeline-batch: the active psychologists' education, newest first per person (those of
 * the catalog's cards, at most MAX_SLOTS entries in all).
 */
export async function catalogEducation(deps: Deps, _actor: Actor): Promise<CachedJson> {
  return deps.listings.value('catalog:education', async () => {
    const rows = await catalogRepository.education(deps.db, MAX_PAGE);
    const items: EducationItem[] = rows.flatMap((p) =>
      [...p.education]
        .sort((a, b) => b.year - a.year)
        .map((e) => ({
          psychologist: educationKey(p.name),
          program_title: e.program_title,
          year: e.year,
          title: e.title,
          doc_type: e.doc_type,
        })),
    );
    return tagged(items.slice(0, MAX_SLOTS));
  });
}
