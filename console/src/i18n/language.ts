/**
 * The console's languages: chosen from the browser (zh* → Chinese, else English), switchable, and
 * remembered in localStorage (the language only: nothing else of the console is stored there).
 * Each language's catalogue, antd locale and dayjs locale load as one lazy chunk.
 */
import type { Locale } from 'antd/es/locale';
import type { Messages } from './en-us';

export const LANGUAGES = ['en-US', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'sealog.console.language';

/** What a language needs loaded before it renders. */
export interface LanguagePack {
  language: Language;
  messages: Messages;
  antd: Locale;
}

/** The remembered language, else the browser's (zh* → zh-CN), else en-US. */
export function initialLanguage(): Language {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be off (privacy settings): fall back to the browser's language.
  }
  if (stored === 'en-US' || stored === 'zh-CN') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en-US';
}

/** Remembers `language` for the next visit. */
export function rememberLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Not remembered: the next visit starts from the browser's language.
  }
}

/** Loads `language`'s pack and switches dayjs to it. */
export async function loadLanguage(language: Language): Promise<LanguagePack> {
  const dayjs = (await import('dayjs')).default;
  if (language === 'zh-CN') {
    const [{ ZH_CN }, antd] = await Promise.all([
      import('./zh-cn'),
      import('antd/es/locale/zh_CN'),
      import('dayjs/locale/zh-cn'),
    ]);
    dayjs.locale('zh-cn');
    return { language, messages: ZH_CN, antd: antd.default };
  }
  const [{ EN_US }, antd] = await Promise.all([import('./en-us'), import('antd/es/locale/en_US')]);
  dayjs.locale('en');
  return { language, messages: EN_US, antd: antd.default };
}
