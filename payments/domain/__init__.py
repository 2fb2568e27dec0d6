"""The payment's own vocabulary and rules, in every process: the order and its
transitions, a client's request and why it is refused, why a payment failed, the
messages and their topics, and the contract every order store keeps. It knows no
transport and no database: nothing here imports a component, a route or a driver."""
