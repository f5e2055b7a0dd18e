import { createContext, useContext } from 'react';
import type { MessageId, Messages } from './en-us';
import type { Language } from './language';

/** What components read of the current language. */
export interface I18n {
  language: Language;
  /** The message `id` with `{name}` placeholders replaced from `values`. */
  t: (id: MessageId, values?: Readonly<Record<string, string | number>>) => string;
  /** The label of a record field (`user_id` → "User"), the field's own name when not catalogued. */
  fieldLabel: (field: string) => string;
  setLanguage: (language: Language) => void;
}

export const I18nContext = createContext<I18n | undefined>(undefined);

/** The translator of `messages`. */
export function translator(messages: Messages): I18n['t'] {
  return (id, values = {}) =>
    messages[id].replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = values[name];
      return value === undefined ? whole : String(value);
    });
}

/** The field labeller of `messages`. */
export function fieldLabeller(messages: Messages): I18n['fieldLabel'] {
  const labels: Readonly<Record<string, string>> = messages;
  return (field) => labels[`field.${field}`] ?? field;
}

/** The current language; throws outside the provider (a wiring error). */
export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (i18n === undefined) throw new Error('useI18n outside I18nContext');
  return i18n;
}
