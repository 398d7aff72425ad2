import { ArrayMaxSize, Length, Matches } from 'class-validator';
import { Field } from 'type-graphql';
import { Column } from 'typeorm';
import { IfPresent } from '../validation';

export const MAX_TAGS = 50;

/** The `tags` column and field of a taggable record (accounts, contacts, deals, tickets); GIN-indexed. */
export const TagsColumn = (): PropertyDecorator => (target, property) => {
  Field(() => [String], { description: 'Free labels, e.g. "vip"; filter with `tags: { has: "vip" }`.' })(target, property);
  Column('text', { array: true, default: () => `'{}'` })(target, property);
};

/** The `tags` input: replaces the whole list; up to 50 tags of 1 to 50 characters, no blanks. */
export const TagsInput = (): PropertyDecorator => (target, property) => {
  Field(() => [String], { nullable: true, description: `Replaces the record’s tags (at most ${MAX_TAGS}).` })(target, property);
  IfPresent()(target, property);
  ArrayMaxSize(MAX_TAGS)(target, property);
  Length(1, 50, { each: true, message: 'each tag must be 1 to 50 characters' })(target, property);
  Matches(/\S/, { each: true, message: 'a tag must not be blank' })(target, property);
};

/** Trimmed and without repeats, in first-seen order; undefined (not sent) stays undefined. */
export function normalizeTags(tags: string[] | undefined): string[] | undefined {
  return tags && [...new Set(tags.map((tag) => tag.trim()).filter((tag) => tag.length > 0))];
}
