// Refund page: fills the address field from the browser's wallet (EIP-1193) when there is
// one, and reloads the page while the refund is on its way. The page works without it.
'use strict';

(() => {
  const root = document.getElementById('refund');
  if (!root) return;
  const page = root.dataset;
  const RELOAD_MS = 10000;
  const WAITING = new Set(['pending', 'requires_action']);

  const button = document.getElementById('connect-wallet');
  const input = document.getElementById('address');
  const status = document.getElementById('wallet-status');
  const say = (text) => { if (status) status.textContent = text; };

  if (button && input && window.ethereum && typeof window.ethereum.request === 'function') {
    button.hidden = false;
    button.addEventListener('click', async () => {
      button.disabled = true;
      say('Asking your wallet for its address…');
      try {
        const accounts = await window.ethereum.request({ method: 'eth_requestAccounts' });
        const account = Array.isArray(accounts) ? accounts[0] : null;
        if (typeof account !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(account)) {
          say('The wallet gave no address. Type your address instead.');
          return;
        }
        input.value = account;
        say('Your wallet\'s address is filled in. Check it, then continue.');
        input.focus();
      } catch (error) {
        const rejected = error && error.code === 4001;
        say(rejected ? 'The wallet request was declined. Type your address instead.' : 'The wallet did not answer. Type your address instead.');
      } finally {
        button.disabled = false;
      }
    });
  }

  // While the refund is on its way and nothing is being typed, show its progress.
  if (WAITING.has(page.status) && !document.getElementById('address-form') && !document.getElementById('confirm-form')) {
    window.setTimeout(() => window.location.reload(), RELOAD_MS);
  }
})();
