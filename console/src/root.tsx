import { App as AntdApp, ConfigProvider } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { App } from './app';
import { fieldLabeller, I18nContext, translator, type I18n } from './i18n/i18n-context';
import { loadLanguage, rememberLanguage, type Language, type LanguagePack } from './i18n/language';

/**
 * antd's colours darkened where its defaults fall under WCAG AA contrast (4.5:1) on white: the
 * primary blue (buttons, the selected menu item), secondary text, placeholders and the status
 * colours (the proof's verdict).
 */
const THEME = {
  token: {
    colorPrimary: '#0958d9',
    colorTextSecondary: '#595959',
    colorTextTertiary: '#595959',
    colorTextDescription: '#595959',
    colorTextPlaceholder: '#707070',
    colorSuccess: '#237804',
    colorWarning: '#ad6800',
    colorError: '#cf1322',
    // No animations for people who asked their system for less motion.
    motion: !window.matchMedia('(prefers-reduced-motion: reduce)').matches,
  },
};

/** Providers around the app: antd (locale, CSP nonce) and the console's language. */
export function Root({ nonce, initialPack }: { nonce: string | undefined; initialPack: LanguagePack }) {
  const [pack, setPack] = useState(initialPack);
  const i18n = useMemo<I18n>(
    () => ({
      language: pack.language,
      t: translator(pack.messages),
      fieldLabel: fieldLabeller(pack.messages),
      setLanguage: (language: Language) => {
        rememberLanguage(language);
        void loadLanguage(language).then(setPack);
      },
    }),
    [pack],
  );
  useEffect(() => {
    document.documentElement.lang = pack.language;
  }, [pack.language]);
  return (
    <ConfigProvider theme={THEME} locale={pack.antd} csp={nonce === undefined ? undefined : { nonce }}>
      <I18nContext value={i18n}>
        <AntdApp>
          <App />
        </AntdApp>
      </I18nContext>
    </ConfigProvider>
  );
}
