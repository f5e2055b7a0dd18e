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

/**
 * rc-component's dynamic CSS (the table's scrollbar measurement, the drawer's scroll lock) adds
 * <style> tags without antd's `csp` option, which the CSP would refuse: every <style> element the
 * console's own scripts create carries the nonce. Markup never becomes a <style> this way (React
 * renders text), so an injected tag still gets none.
 */
function nonceCreatedStyles(nonce: string): void {
  type CreateElement = (this: Document, tagName: string, options?: ElementCreationOptions) => HTMLElement;
  const prototype = Document.prototype as unknown as { createElement: CreateElement };
  const create = prototype.createElement;
  prototype.createElement = function createElement(tagName, options) {
    const element = create.call(this, tagName, options);
    if (element instanceof HTMLStyleElement) element.nonce = nonce;
    return element;
  };
}

const container = document.getElementById('root');
if (container === null) throw new Error('the page has no #root');
const nonce = cspNonce();
if (nonce !== undefined) nonceCreatedStyles(nonce);
void loadLanguage(initialLanguage()).then((pack) => {
  createRoot(container).render(<Root nonce={nonce} initialPack={pack} />);
});
