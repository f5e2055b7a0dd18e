import { createRoot } from 'react-dom/client';
import './console.css';
import { initialLanguage, loadLanguage } from './i18n/language';
import { Root } from './root';

/**
 * The nonce the server put in the page for this response (CSP style-src 'nonce-…'): antd's
 * injected <style> tags carry it. The placeholder is left as is by the Vite dev server: no nonce.
 */
function cspNonce(): string | undefined {
  const value = document.querySelector('meta[name="csp-nonce"]')?.getAttribute('content') ?? '';
  return value === '' || value.includes('%') ? undefined : value;
}

const container = document.getElementById('root');
if (container === null) throw new Error('the page has no #root');
const nonce = cspNonce();
void loadLanguage(initialLanguage()).then((pack) => {
  createRoot(container).render(<Root nonce={nonce} initialPack={pack} />);
});
