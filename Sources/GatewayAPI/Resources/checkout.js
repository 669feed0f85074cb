// Hosted checkout page: live status over server-sent events, the expiry countdown, copy
// buttons and paying with a browser wallet (EIP-1193). Amounts stay decimal strings or
// BigInt base units throughout: never floating point.
'use strict';

(() => {
  const root = document.getElementById('checkout');
  if (!root) return;
  const page = root.dataset;
  const byId = (id) => document.getElementById(id);

  const TRANSFER_SELECTOR = 'a9059cbb'; // transfer(address,uint256)
  const UINT256_LIMIT = 1n << 256n;
  const TERMINAL = new Set(['completed', 'expired', 'canceled', 'failed', 'partially_refunded', 'refunded']);
  const REDIRECT_DELAY_MS = 3000;
  const RECONNECT_DELAY_MS = 5000;

  const LABELS = {
    pending: 'Awaiting payment',
    underpaid: 'Underpaid',
    confirming: 'Confirming',
    completed: 'Paid',
    expired: 'Expired',
    canceled: 'Canceled',
    failed: 'Failed',
    partially_refunded: 'Partly refunded',
    refunded: 'Refunded',
  };
  const DETAILS = {
    pending: 'Send the exact amount below before the payment request expires.',
    underpaid: 'Part of the amount has arrived. Send the remaining amount to complete the payment.',
    confirming: 'Your payment has arrived and is waiting for confirmations on the network.',
    completed: 'Your payment is complete. Thank you.',
    expired: 'This payment request has expired. Do not send funds to it.',
    canceled: 'This payment request was canceled by the merchant. Do not send funds to it.',
    failed: 'This payment could not be completed. Contact the merchant.',
    partially_refunded: 'Your payment is complete; the merchant refunded part of it.',
    refunded: 'The merchant refunded this payment.',
  };
  const PAYMENT_STATES = { seen: 'received', confirmed: 'confirmed', removed: 'dropped by a chain reorganization' };

  let status = page.status || 'pending';
  let amountReceived = page.amountReceived || '0';
  let amountRemaining = page.amountRemaining || '0';
  let remainingDue = page.remainingDue || '';
  let successUrl = page.successUrl || '';
  let paying = false;
  let sent = false;
  let countdownTimer = null;
  let redirectTimer = null;
  let source = null;

  // ------------------------------------------------------------------ amounts

  /** True when a decimal string such as "0.00" or "5.000001" is not zero. */
  function isPositive(decimal) {
    return /^\d*\.?\d*$/.test(decimal || '') && /[1-9]/.test(decimal);
  }

  /** "7.500137" with 6 decimals → 7500137n, exactly. */
  function toBaseUnits(decimal, decimals) {
    const match = /^(\d+)(?:\.(\d+))?$/.exec(String(decimal).trim());
    if (!match) throw new WalletError(`The amount ${decimal} is not a decimal number.`);
    const fraction = (match[2] || '').replace(/0+$/, '');
    if (fraction.length > decimals) throw new WalletError(`The amount ${decimal} has more than ${decimals} decimals.`);
    return BigInt(match[1] + fraction.padEnd(decimals, '0'));
  }

  function word(hex) {
    return hex.padStart(64, '0');
  }

  /** Call data of ERC-20 transfer(to, amount). */
  function transferData(to, amount) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(to)) throw new WalletError('The payment address on this page is not valid.');
    if (amount <= 0n || amount >= UINT256_LIMIT) throw new WalletError('The amount on this page is not valid.');
    return '0x' + TRANSFER_SELECTOR + word(to.slice(2).toLowerCase()) + word(amount.toString(16));
  }

  /**
   * What the wallet sends: once part has arrived, the remainder the gateway holds for this
   * session through the selected option (unique to it, so it may be a little more than the
   * exact rest); else the amount due.
   */
  function amountToSend() {
    const decimals = Number.parseInt(page.decimals, 10);
    if (status === 'pending' && isPositive(amountReceived) && isPositive(remainingDue) && Number.isInteger(decimals)) {
      return { units: toBaseUnits(remainingDue, decimals), display: remainingDue };
    }
    if (!/^\d+$/.test(page.amountDueBaseUnits || '')) throw new WalletError('The amount on this page is not valid.');
    return { units: BigInt(page.amountDueBaseUnits), display: page.amountDue };
  }

  // ------------------------------------------------------------------ rendering

  function setText(id, text) {
    const element = byId(id);
    if (element && element.textContent !== text) element.textContent = text;
  }

  function show(element, visible) {
    if (element) element.hidden = !visible;
  }

  function stateOf(sessionStatus, received) {
    return sessionStatus === 'pending' && isPositive(received) ? 'underpaid' : sessionStatus;
  }

  function confirmationsText(payments) {
    const counted = payments.filter((p) => !p.late && p.status !== 'removed');
    const waiting = counted.filter((p) => p.status === 'seen');
    const relevant = waiting.length ? waiting : counted;
    if (!relevant.length) return '';
    const required = Math.max(...relevant.map((p) => Number(p.confirmations_required) || 0));
    const have = Math.min(required, ...relevant.map((p) => Number(p.confirmations) || 0));
    return `${have} of ${required} confirmations`;
  }

  function renderPayments(payments) {
    const list = byId('payments');
    if (!list) return;
    const items = payments.map((p) => {
      const item = document.createElement('li');
      item.className = 'payment';
      item.dataset.status = p.status;
      const amount = document.createElement('span');
      amount.className = 'payment-amount';
      amount.textContent = `${p.amount} ${p.token}`;
      const meta = document.createElement('span');
      meta.className = 'payment-meta';
      const state = PAYMENT_STATES[p.status] || p.status;
      const count = p.status === 'seen'
        ? `, ${Math.min(Number(p.confirmations) || 0, Number(p.confirmations_required) || 0)} of ${p.confirmations_required} confirmations`
        : '';
      meta.textContent = `on ${p.network}, ${state}${count}${p.late ? ', late' : ''}`;
      const hash = document.createElement('code');
      hash.className = 'tx-hash';
      hash.textContent = p.tx_hash;
      item.append(amount, ' ', meta, ' ', hash);
      return item;
    });
    list.replaceChildren(...items);
    setText('no-payments', payments.length ? '' : 'No payment has been seen yet.');
  }

  function safeUrl(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
    } catch {
      return null;
    }
  }

  function applySession(session) {
    status = session.status;
    amountReceived = session.amount_received;
    amountRemaining = session.amount_remaining;
    const held = Array.isArray(session.remaining_due) ? session.remaining_due[Number.parseInt(page.optionIndex, 10)] : null;
    remainingDue = typeof held === 'string' ? held : '';
    if (typeof session.success_url === 'string') successUrl = session.success_url;
    const state = stateOf(session.status, session.amount_received);
    const open = session.status === 'pending' || session.status === 'confirming';
    const payments = Array.isArray(session.payments) ? session.payments : [];

    root.dataset.status = session.status;
    const badge = byId('status');
    if (badge) badge.dataset.state = state;
    setText('status', LABELS[state] || session.status);
    setText('status-detail', DETAILS[state] || '');

    const confirmations = byId('confirmations');
    if (session.status === 'confirming') {
      setText('confirmations', confirmationsText(payments));
      show(confirmations, true);
    } else {
      show(confirmations, false);
    }

    setText('amount-received', session.amount_received);
    setText('amount-remaining', session.amount_remaining);
    show(byId('progress'), isPositive(session.amount_received) && isPositive(session.amount_remaining));
    setText('amount-overpaid', session.amount_overpaid);
    show(byId('overpaid'), isPositive(session.amount_overpaid));
    setText('amount-late', session.amount_late);
    show(byId('late'), isPositive(session.amount_late));

    show(byId('expiry'), session.status === 'pending');
    show(byId('pay'), session.status === 'pending');
    renderPayments(payments);
    updateWalletButton();
    tick();

    const success = byId('success-link');
    const cancel = byId('cancel-link');
    show(success, session.status === 'completed');
    show(cancel, session.status !== 'completed');
    if (cancel && !open) cancel.textContent = cancel.textContent.replace(/^Cancel and return/, 'Return');

    if (session.status === 'completed') scheduleRedirect();
  }

  function scheduleRedirect() {
    const target = safeUrl(successUrl);
    if (!target || redirectTimer !== null) return;
    const success = byId('success-link');
    if (success) success.href = target;
    setText('status-detail', `${DETAILS.completed} Returning you to the merchant…`);
    redirectTimer = window.setTimeout(() => window.location.assign(target), REDIRECT_DELAY_MS);
  }

  // ------------------------------------------------------------------ countdown

  function formatDuration(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
    return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
  }

  function tick() {
    const element = byId('countdown');
    const expiresAt = Number.parseInt(page.expiresAtUnix, 10);
    if (!element || !Number.isInteger(expiresAt)) return;
    if (status !== 'pending') {
      show(element, false);
      if (countdownTimer !== null) {
        window.clearInterval(countdownTimer);
        countdownTimer = null;
      }
      return;
    }
    const left = Math.max(0, expiresAt - Math.floor(Date.now() / 1000));
    element.textContent = left > 0 ? `${formatDuration(left)} left` : 'expiring now';
    show(element, true);
    if (countdownTimer === null) countdownTimer = window.setInterval(tick, 1000);
  }

  function localizeExpiry() {
    const time = byId('expires-at');
    const expiresAt = Number.parseInt(page.expiresAtUnix, 10);
    if (!time || !Number.isInteger(expiresAt)) return;
    const when = new Date(expiresAt * 1000);
    time.textContent = when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    time.title = time.getAttribute('datetime') || '';
  }

  // ------------------------------------------------------------------ live status

  function connect() {
    if (!page.eventsUrl || typeof window.EventSource !== 'function' || TERMINAL.has(status)) return;
    source = new EventSource(page.eventsUrl);
    source.addEventListener('session', (event) => {
      let session;
      try {
        session = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!session || typeof session.status !== 'string') return;
      applySession(session);
      if (TERMINAL.has(session.status) && source) {
        source.close();
        source = null;
      }
    });
    source.addEventListener('error', () => {
      // EventSource reconnects by itself unless the server refused the stream.
      if (source && source.readyState === EventSource.CLOSED) {
        source = null;
        window.setTimeout(connect, RECONNECT_DELAY_MS);
      }
    });
  }

  // ------------------------------------------------------------------ copy buttons

  function setupCopyButtons() {
    for (const button of document.querySelectorAll('button.copy[data-copy-target]')) {
      const target = byId(button.dataset.copyTarget);
      if (!target) continue;
      const label = button.textContent;
      button.hidden = false;
      button.addEventListener('click', async () => {
        const text = target.textContent.trim();
        let copied = false;
        if (navigator.clipboard && window.isSecureContext) {
          try {
            await navigator.clipboard.writeText(text);
            copied = true;
          } catch {
            copied = false;
          }
        }
        if (!copied) {
          const range = document.createRange();
          range.selectNodeContents(target);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }
        button.textContent = copied ? 'Copied' : 'Selected: press Ctrl+C';
        setText('copy-status', copied ? `Copied ${text}` : 'Text selected; copy it with your keyboard.');
        window.setTimeout(() => {
          button.textContent = label;
        }, 2000);
      });
    }
  }

  // ------------------------------------------------------------------ wallet

  class WalletError extends Error {}

  function walletMessage(text, isError = false) {
    const element = byId('wallet-status');
    if (!element) return;
    element.textContent = text;
    element.classList.toggle('error', isError);
  }

  function errorCode(error) {
    if (!error || typeof error !== 'object') return undefined;
    if (error.code !== undefined) return error.code;
    const inner = error.data && error.data.originalError;
    return inner ? inner.code : undefined;
  }

  function describe(error) {
    if (error instanceof WalletError) return error.message;
    switch (errorCode(error)) {
      case 4001:
        return 'You rejected the request in your wallet. Nothing was sent.';
      case 4100:
        return 'Your wallet has not allowed this page to use your account. Connect it and try again.';
      case -32002:
        return 'Your wallet already has a request waiting. Open your wallet to continue.';
      default: {
        const detail = error && error.message ? error.message : String(error);
        return `Your wallet reported an error: ${detail}`;
      }
    }
  }

  function updateWalletButton() {
    const button = byId('pay-with-wallet');
    if (!button) return;
    const available = typeof window.ethereum === 'object' && window.ethereum !== null
      && typeof window.ethereum.request === 'function';
    show(button, available && status === 'pending');
    button.disabled = paying || sent;
  }

  async function switchChain(provider) {
    const wanted = page.chainIdHex;
    const where = `${page.network} (chain ID ${page.chainId})`;
    try {
      await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: wanted }] });
    } catch (error) {
      const code = errorCode(error);
      if (code === 4902) {
        throw new WalletError(`Your wallet does not know the network ${where}. Add this network to your wallet, then try again.`);
      }
      if (code === 4001) throw error;
      // Some wallets cannot switch networks: go on if the wallet is already on the right one.
    }
    const current = await provider.request({ method: 'eth_chainId' });
    let same = false;
    try {
      same = BigInt(current) === BigInt(wanted);
    } catch {
      same = false;
    }
    if (!same) throw new WalletError(`Switch your wallet to the network ${where}, then try again.`);
  }

  async function reportTransaction(txHash) {
    const body = JSON.stringify({ client_secret: page.clientSecret, tx_hash: txHash, network: page.network });
    let lastError = null;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => window.setTimeout(resolve, 1000 * 2 ** (attempt - 1)));
      try {
        const response = await fetch(page.transactionsUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body,
          credentials: 'same-origin',
        });
        if (response.ok) return;
        let message = `HTTP ${response.status}`;
        try {
          const answer = await response.json();
          if (answer && answer.error && answer.error.message) message = answer.error.message;
        } catch {
          // Not JSON: keep the status line.
        }
        lastError = new Error(message);
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError || new Error('no answer');
  }

  async function payWithWallet() {
    const provider = window.ethereum;
    if (!provider || paying || sent) return;
    paying = true;
    updateWalletButton();
    let txHash = null;
    try {
      walletMessage('Connecting to your wallet…');
      const accounts = await provider.request({ method: 'eth_requestAccounts' });
      if (!Array.isArray(accounts) || accounts.length === 0) throw new WalletError('Your wallet did not share an account.');
      await switchChain(provider);
      const amount = amountToSend();
      const transaction = {
        from: accounts[0],
        to: page.tokenAddress,
        value: '0x0',
        data: transferData(page.payTo, amount.units),
      };
      walletMessage(`Confirm the payment of ${amount.display} ${page.token} in your wallet…`);
      txHash = await provider.request({ method: 'eth_sendTransaction', params: [transaction] });
      if (typeof txHash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(txHash)) {
        txHash = null;
        throw new WalletError('Your wallet did not return a transaction hash.');
      }
      sent = true;
      walletMessage('Payment sent. Reporting it to the merchant…');
      try {
        await reportTransaction(txHash);
        walletMessage(`Payment sent in transaction ${txHash}. Waiting for confirmations on the network.`);
      } catch (error) {
        walletMessage(`Payment sent in transaction ${txHash}, but this page could not report it (${error.message}). `
          + 'It will still be recognized when it arrives.', true);
      }
    } catch (error) {
      walletMessage(describe(error), true);
    } finally {
      paying = false;
      updateWalletButton();
    }
  }

  // ------------------------------------------------------------------ start

  localizeExpiry();
  setupCopyButtons();
  const walletButton = byId('pay-with-wallet');
  if (walletButton) walletButton.addEventListener('click', payWithWallet);
  updateWalletButton();
  window.addEventListener('ethereum#initialized', updateWalletButton, { once: true });
  tick();
  connect();
})();
