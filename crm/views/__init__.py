"""CRM pages, one module per feature: contacts, leads (my leads), segments, personas,
lifecycle. Views validate a form, call one crm.services / crm.selectors function and render."""
