import { Select } from 'antd';
import { useI18n } from '../i18n/i18n-context';
import { LANGUAGES } from '../i18n/language';

/** Names of the languages in themselves, as a language menu shows them. */
const NAMES = { 'en-US': 'English', 'zh-CN': '简体中文' } as const;

/** The language menu of the header. */
export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  return (
    <Select
      aria-label={t('language')}
      data-testid="language-switch"
      value={language}
      onChange={setLanguage}
      options={LANGUAGES.map((value) => ({ value, label: NAMES[value], lang: value }))}
      style={{ width: 120 }}
      popupMatchSelectWidth={false}
    />
  );
}
