import { App as AntdApp, ConfigProvider } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { App } from './app';
import { fieldLabeller, I18nContext, translator, type I18n } from './i18n/i18n-context';
import { loadLanguage, rememberLanguage, type Language, type LanguagePack } from './i18n/language';

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
    <ConfigProvider locale={pack.antd} csp={nonce === undefined ? undefined : { nonce }}>
      <I18nContext value={i18n}>
        <AntdApp>
          <App />
        </AntdApp>
      </I18nContext>
    </ConfigProvider>
  );
}
