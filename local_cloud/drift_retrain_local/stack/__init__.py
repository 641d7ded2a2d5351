"""The stack from ``template.yaml``: ``template`` reads and resolves it (``template_yaml`` its short-form
tags, ``template_rules`` its ``Rules``, ``function_spec`` one function), ``deploy`` creates its resources
in the embedded AWS (``buckets``, ``queues``), and ``artifacts`` builds it as ``sam build`` lays it out.
"""
