"""More AWS accounts on one local endpoint: what AWS Organizations' CreateAccount gives a test.

The endpoint starts with one account (--account-id, its admin key the root key). A control
route adds others: `PUT /_endpoint/accounts {"account_id": "222222222222"}` creates an empty
account with a root access key of its own and answers `{"account_id", "access_key_id",
"secret_access_key"}` (the secret is the test's to keep). Each account has its own IAM state
(users, groups, policies, roles, keys, sessions; ARNs name its id); requests are routed to the
account whose key (root, a user's key, or a role session's ASIA key) signed them. STS
AssumeRole reaches a role in any account of the endpoint: the role's trust policy decides,
naming the caller as AWS does across accounts (its account id, `arn:aws:iam::ACCOUNT:root`,
its user or role ARN), and the session lives in the role's account. All accounts share one
lock, one clock and the consistency settings. Secrets Manager and SSM keep each account's
secrets and parameters apart (their state lives in the account's); SNS, instance metadata,
container credentials, SSO and web identity stay the first account's. Added accounts are kept
in memory only (--state saves the first account).
"""
import base64
import secrets
import threading

import iamusercreds


class Accounts:
    def __init__(self, primary, root_key_id, root_secret):
        self.primary = primary
        self.by_id = {primary.account_id: primary}
        self.roots = {root_key_id: (root_secret, primary)}
        self.lock = threading.Lock()
        primary.registry = self

    def add(self, account_id):
        """A new, empty account: its root key (id, secret)."""
        if not (isinstance(account_id, str) and len(account_id) == 12 and account_id.isdigit()):
            raise ValueError('account_id must be 12 digits')
        with self.lock:
            if account_id in self.by_id:
                raise ValueError('account %s exists' % account_id)
            st = iamusercreds.UserCredsState(account_id)
            st.lock = self.primary.lock            # one lock: cross-account calls never deadlock
            st.settings = self.primary.settings    # one clock, one consistency setting
            st.registry = self
            akid = 'AKIA' + secrets.token_hex(8).upper()
            secret = base64.b64encode(secrets.token_bytes(30)).decode()
            self.by_id[account_id] = st
            self.roots[akid] = (secret, st)
        return {'account_id': account_id, 'access_key_id': akid, 'secret_access_key': secret}

    def reset(self):
        """Forget every added account (DELETE /_endpoint/state)."""
        with self.lock:
            self.by_id = {self.primary.account_id: self.primary}
            self.roots = {k: v for k, v in self.roots.items() if v[1] is self.primary}

    def get(self, account_id):
        return self.by_id.get(account_id)

    def ids(self):
        return sorted(self.by_id)

    def for_key(self, akid):
        """(state, root secret or None) of the account akid belongs to, or (None, None)."""
        with self.lock:
            root = self.roots.get(akid)
            if root is not None:
                return root[1], root[0]
            for st in self.by_id.values():
                if st.key_for_auth(akid) is not None:
                    return st, None
        return None, None
