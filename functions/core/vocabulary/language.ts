/** The languages mailflow writes in, and the number format each uses. */
export const LANGUAGES = ['en', 'it'] as const;
export type Lang = (typeof LANGUAGES)[number];

export const isLang = (value: unknown): value is Lang => value === 'en' || value === 'it';

/** The Intl locale a language formats numbers and dates with. */
export const localeOf = (lang: Lang): string => (lang === 'it' ? 'it-IT' : 'en-US');
