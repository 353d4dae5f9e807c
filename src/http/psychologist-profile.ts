// The psychologist's catalog profile as the admin API takes it (migration 008): the fields the web front
// end's /cards and /edu-keys-pipeline-batch show, under the same names. Shared by the create and update
// routes of /admin/psychologists.
import { Type } from 'typebox';
import { Text } from './schemas.ts';

const Link = Text(2000);

export const profileFields = {
  group: Type.Optional(Text(200)),
  age: Type.Optional(Type.Integer({ minimum: 18, maximum: 120 })),
  experience: Type.Optional(Text(200)),
  verified: Type.Optional(Type.Boolean()),
  main_modal: Type.Optional(Text(200)),
  additional_modals: Type.Optional(Type.Array(Text(200), { maxItems: 50 })),
  vk: Type.Optional(Link),
  site: Type.Optional(Link),
  telegram: Type.Optional(Link),
  personal_therapy_duration: Type.Optional(Text(200)),
  is_married: Type.Optional(Type.Boolean()),
  has_children: Type.Optional(Type.Boolean()),
  takes_diagnostic: Type.Optional(Type.Boolean()),
  education: Type.Optional(
    Type.Array(
      Type.Object(
        {
          program_title: Text(500),
          year: Type.Integer({ minimum: 1950, maximum: 2100 }),
          title: Text(500),
          doc_type: Text(200),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
  ),
};
