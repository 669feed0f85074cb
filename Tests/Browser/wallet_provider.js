// A test wallet for the checkout page: an EIP-1193 provider installed as window.ethereum
// before the page's own scripts run. Every request goes as JSON-RPC to the test's signer
// server (SIGNER_URL is filled in by the test), which holds the key and talks to the devchain.
(() => {
  const endpoint = '__SIGNER_URL__';
  const listeners = new Map();
  let nextId = 1;

  class ProviderRpcError extends Error {
    constructor(error) {
      super(error.message || 'wallet error');
      this.code = error.code;
      this.data = error.data;
    }
  }

  const provider = {
    isTestWallet: true,
    async request(args) {
      if (!args || typeof args.method !== 'string') {
        throw new ProviderRpcError({ code: -32600, message: 'request() needs a method' });
      }
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: args.method, params: args.params ?? [] }),
      });
      const answer = await response.json();
      if (answer.error) throw new ProviderRpcError(answer.error);
      return answer.result;
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return provider;
    },
    removeListener(event, listener) {
      const set = listeners.get(event);
      if (set) set.delete(listener);
      return provider;
    },
  };

  Object.defineProperty(window, 'ethereum', { value: provider, configurable: true, enumerable: true });
})();
